/** Turns OpenSSH's stderr into a one-line reason and a next step. */

export interface SshDiagnosis {
  reason: string;
  hint: string;
}

const RULES: Array<[RegExp, (m: RegExpMatchArray) => SshDiagnosis]> = [
  [
    /Could not resolve hostname ([^:]+)/,
    (m) => ({
      reason: `host name ${m[1]} does not resolve`,
      hint: 'check the host in hutctl.yaml or .lxd.env',
    }),
  ],
  [
    /Connection refused/,
    () => ({ reason: 'connection refused', hint: 'is sshd running there, and is the port right?' }),
  ],
  [
    /(Connection timed out|Operation timed out|timed out during banner exchange)/,
    () => ({
      reason: 'connection timed out',
      hint: 'is the host up and reachable from here (VM started, firewall open)?',
    }),
  ],
  [
    /No route to host|Network is unreachable/,
    () => ({ reason: 'no route to host', hint: 'check the network path to the host' }),
  ],
  [
    /REMOTE HOST IDENTIFICATION HAS CHANGED/,
    () => ({
      reason: "the host's key is not the one pinned for it",
      hint: 'if the VM was re-created, pin its new key: hutctl vm create <name> (it reads the key through LXD); otherwise do not connect until you know why it changed',
    }),
  ],
  [
    /No \S+ host key is known for (\S+)|Host key verification failed/,
    (m) => ({
      reason: `the host's key is not known yet${m[1] ? ` (${m[1]})` : ''}`,
      hint: "pin it: for a runner VM, hutctl vm create <name> reads its key through LXD into the target's known_hosts; else check its fingerprint on the host's console and add it to known_hosts",
    }),
  ],
  [
    /Identity file (.+) not accessible/,
    (m) => ({
      reason: `identity file ${m[1]} is not accessible`,
      hint: 'check identity_file / LXD_SSH_PRIVATE_KEY_PATH',
    }),
  ],
  [
    /Permission denied \(([^)]*)\)/,
    (m) => ({
      reason: `authentication failed (${m[1]})`,
      hint: "is the key's public half in the user's ~/.ssh/authorized_keys, and is the user right?",
    }),
  ],
  [
    /Connection closed by|Connection reset by|kex_exchange_identification/,
    () => ({ reason: 'the server closed the connection', hint: 'check sshd logs on the host' }),
  ],
  [
    /Bad configuration option|command-line line \d+: (.+)/,
    (m) => ({
      reason: `bad ssh option: ${m[1] ?? m[0]}`,
      hint: 'check ssh_options in hutctl.yaml',
    }),
  ],
];

export function diagnoseSsh(stderr: string): SshDiagnosis {
  for (const [pattern, build] of RULES) {
    const match = stderr.match(pattern);
    if (match) return build(match);
  }
  const last = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .at(-1);
  return {
    reason: last ?? 'ssh failed without a message',
    hint: "run 'ssh -v' with the same host, user, port and key to see more",
  };
}
