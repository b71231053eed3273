#!/usr/bin/env node
// Makes sure this machine can run the whole test suite: npm packages (Node 24 among them) and
// the system programs the tests start for real (sshd, ssh, flock, setsid, pgrep, perl for the
// keeper). As root it installs missing Debian packages; otherwise it says exactly what to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

const lock = 'package-lock.json';
const installed = 'node_modules/.package-lock.json';
if (
  !existsSync('node_modules/.bin/node') ||
  !existsSync(installed) ||
  statSync(lock).mtimeMs > statSync(installed).mtimeMs
) {
  console.log('test-prereqs: installing npm packages (npm ci)');
  run('npm', ['ci']);
}

const programs = {
  '/usr/sbin/sshd': 'openssh-server',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  flock: 'util-linux',
  setsid: 'util-linux',
  pgrep: 'procps',
  pkill: 'procps',
  socat: 'socat',
  unshare: 'util-linux',
  '/usr/sbin/ip': 'iproute2',
  xmllint: 'libxml2-utils',
  perl: 'perl-base',
};
const missing = new Set();
for (const [program, pkg] of Object.entries(programs)) {
  const found = program.startsWith('/')
    ? existsSync(program)
    : spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
  if (!found) missing.add(pkg);
}
if (missing.size > 0) {
  const list = [...missing].join(' ');
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log(`test-prereqs: installing Debian packages: ${list}`);
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
      DEBIAN_FRONTEND: 'noninteractive',
    });
  } else {
    console.error(`test-prereqs: the tests need these Debian packages: ${list}`);
    console.error(`  install them with: sudo apt-get install -y ${list}`);
    process.exit(1);
  }
}

function run(command, args, env = {}) {
  try {
    execFileSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  } catch {
    console.error(`test-prereqs: '${command} ${args.join(' ')}' failed`);
    process.exit(1);
  }
}
