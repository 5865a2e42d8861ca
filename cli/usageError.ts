/** A bad argument or an unreadable input named by the user: exit 2 with one line on stderr. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
