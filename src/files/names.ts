/**
 * A file name (docs/protocol.md §8): 4–16 characters of ASCII letters, digits and
 * dashes, with single spaces between words (none leading, trailing or doubled).
 */
export const FILE_NAME_PATTERN = '^(?=.{4,16}$)[A-Za-z0-9-]+( [A-Za-z0-9-]+)*$'

const FILE_NAME = new RegExp(FILE_NAME_PATTERN)

export function isFileName (name: string): boolean {
  return FILE_NAME.test(name)
}
