-- A string's length as JavaScript and the protocol count it: UTF-16 code units.
-- char_length counts code points, one fewer for each character beyond U+FFFF (an
-- emoji, say), which JavaScript counts as two. Used by CHECK constraints (011), so it
-- is IMMUTABLE, and 011 creates it first: function files run after the migrations.
CREATE OR REPLACE FUNCTION lw_utf16_length (p text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT char_length(p) + char_length(regexp_replace(p, '[^\U00010000-\U0010FFFF]', '', 'g'))
$$;
