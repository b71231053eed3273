#!/usr/bin/env node
// Makes sure this machine can run the whole test suite: npm packages (Node 24 among them) and
// the system programs the tests start for real (sshd, ssh, flock, setsid, pgrep, perl for the
// keeper, a PostgreSQL server for the store, Chromium for the dashboard). As root it installs missing Debian packages;
// otherwise it says exactly what to install.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { ensurePrograms } from './system-deps.mjs';

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
  lxd: 'lxd',
  // LXD's managed bridge hands out addresses with dnsmasq (a Recommends of lxd, not a Depends).
  '/usr/sbin/dnsmasq': 'dnsmasq-base',
  '/bin/busybox': 'busybox-static',
  groff: 'groff-base',
  'dpkg-deb': 'dpkg',
  // The dashboard's tests drive Debian's Chromium (playwright-core downloads no browser).
  '/usr/bin/chromium': 'chromium',
  // The server, not just the client (postgresql-client-* also makes /usr/lib/postgresql/<v>/bin).
  '/usr/lib/postgresql/*/bin/initdb': 'postgresql',
};
ensurePrograms(programs, 'test-prereqs');

function run(command, args, env = {}) {
  try {
    execFileSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  } catch {
    console.error(`test-prereqs: '${command} ${args.join(' ')}' failed`);
    process.exit(1);
  }
}
