// The scripted model's part in a turn on the boards through hutctl's MCP tools (`BOARDS:<label>`
// in the prompt; `BOARDS:<label>:keep` leaves the lease for the delegation's end): lease a slot
// by label, run a command on it, read its serial port, release it, then say what it saw. Each
// tool is called by the name Codex gives the model in the request's `tools` — a namespace
// (`mcp__hutctl`) holding `lease_slot`, … — or, flat, `mcp__hutctl__lease_slot`.

/** Where hutctl's tool `name` is among the request's tools: {name, namespace?}, or null. */
export function toolName(tools, name) {
  for (const tool of tools) {
    if (tool.type === 'namespace' && tool.name.includes('hutctl'))
      if ((tool.tools ?? []).some((t) => t.name === name)) return { name, namespace: tool.name };
    if (tool.type === 'function' && tool.name?.endsWith(`hutctl__${name}`))
      return { name: tool.name };
  }
  return null;
}

/** What a tool answered: its JSON (the last text part), or {error: its text}. */
function answerOf(output) {
  const parts = typeof output === 'string' ? [output] : (output ?? []).map((p) => p.text ?? '');
  try {
    return JSON.parse(String(parts.at(-1)));
  } catch {
    return { error: parts.join(' ').replace(/\s+/g, ' ').trim() };
  }
}

/** The next step: `{call}` (a function call item's name, namespace and arguments) or `{answer}`. */
export function boardsStep(spec, tools, input) {
  const [label, keep] = spec.split(':');
  const since = input.findLastIndex((i) => i.type === 'message' && i.role === 'user');
  const answers = input
    .slice(since + 1)
    .filter((i) => i.type === 'function_call_output')
    .map((i) => answerOf(i.output));
  const plan = ['lease_slot', 'run_on_slot', 'serial_read'];
  if (keep !== 'keep') plan.push('release_slot');
  const failed = answers.findIndex((a) => a.error !== undefined);
  if (failed >= 0) return { answer: `${plan[failed]} failed: ${answers[failed].error}` };
  const slot = answers[0]?.slot;
  if (answers.length < plan.length) {
    const name = plan[answers.length];
    const where = toolName(tools, name);
    if (!where)
      return {
        answer: `no hutctl tool ${name} among: ${tools.map((t) => t.name ?? t.type).join(', ')}`,
      };
    const args = [
      { label, ttl_sec: 60 },
      { slot, argv: ['sh', '-c', 'echo hello from {slot}'] },
      { slot, seconds: 3 },
      { slot },
    ][answers.length];
    return { call: { ...where, arguments: JSON.stringify(args) } };
  }
  const [, run, serial, release] = answers;
  // The job log's own lines start with `#`; what the command printed is the rest.
  const said = run.output_tail
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .join(' | ');
  const heard = serial.output.split(/\r?\n/).find((l) => l.startsWith('rst:')) ?? '(nothing)';
  return {
    answer: `${slot}: ${said} (${run.job_id}, ${run.status}); serial: ${serial.resets} resets, ${heard}; ${release?.released ? 'released' : 'kept'}`,
  };
}
