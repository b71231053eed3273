/** Why a file operation failed, as a user reads it (full disk, permission…), else the error's message. */
export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EROFS: 'read-only file system',
    ENOENT: 'the directory is gone',
    EIO: 'input/output error',
  };
  return (code && reasons[code]) ?? (error as Error).message;
}
