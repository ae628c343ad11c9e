/**
 * Strings that are not well-formed UTF-16: a lone surrogate, which JSON can escape
 * ("\ud800") but which is no Unicode character. Postgres stores each as U+FFFD, so
 * two different strings would become one; they are refused instead, everywhere.
 * With the `u` flag a surrogate pair is one code point, so only lone halves match.
 */
const LONE_SURROGATE = /\p{Cs}/u

export function isWellFormed (text: string): boolean {
  return !LONE_SURROGATE.test(text)
}

/**
 * The same rule as a JSON Schema pattern, for validators that compile patterns without
 * the `u` flag (TypeBox) as well as with it (AJV): code units other than NUL and
 * surrogates, or a high surrogate followed by a low one.
 */
export const WELL_FORMED_NO_NUL = '^(?:[^\\u0000\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])*$'
