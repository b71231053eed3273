// The system programs hutctl's tests and demo start for real, and how each is had on Debian: as
// root, missing packages are installed; otherwise the exact command to run is printed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Makes sure every program is there (installing its Debian package as root); exits 1 if not. */
export function ensurePrograms(programs, who) {
  const missing = new Set();
  for (const [program, pkg] of Object.entries(programs)) {
    const found = program.startsWith('/')
      ? pathExists(program)
      : spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
    if (!found) missing.add(pkg);
  }
  if (missing.size === 0) return;
  const list = [...missing].join(' ');
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log(`${who}: installing Debian packages: ${list}`);
    run('apt-get', ['update', '-qq'], who);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], who, {
      DEBIAN_FRONTEND: 'noninteractive',
    });
    return;
  }
  console.error(`${who}: needs these Debian packages: ${list}`);
  console.error(`  install them with: sudo apt-get install -y ${list}`);
  process.exit(1);
}

/** existsSync, where a `*` path segment stands for any one entry (a version directory). */
function pathExists(path) {
  const star = path.indexOf('/*/');
  if (star < 0) return existsSync(path);
  const parent = path.slice(0, star);
  const rest = path.slice(star + 3);
  let entries = [];
  try {
    entries = readdirSync(parent);
  } catch {
    return false;
  }
  return entries.some((entry) => pathExists(join(parent, entry, rest)));
}

function run(command, args, who, env = {}) {
  try {
    execFileSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  } catch {
    console.error(`${who}: '${command} ${args.join(' ')}' failed`);
    process.exit(1);
  }
}
