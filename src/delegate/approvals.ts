/**
 * The App Server's approval requests answered by delegate's policy: a command, a file change, or
 * an MCP tool call (which Codex asks as an MCP elicitation), with what was decided in one line for
 * the log and the report. Nobody is there to answer anything else an MCP server asks.
 */

/** never: the thread asks nothing; accept or decline: what it asks is answered so. */
export type ApprovalPolicy = 'never' | 'accept' | 'decline';

export interface ApprovalAnswer {
  decision: 'accept' | 'decline';
  /** What was asked, in one line: the command, or `server/tool {arguments}`. */
  what: string;
  /** The JSON-RPC result that answers the request. */
  result: unknown;
}

/** The answer to an approval request, or null when `method` is not one. */
export function answerApproval(
  method: string,
  params: Record<string, unknown>,
  policy: ApprovalPolicy,
  acceptCommands: string[] = [],
): ApprovalAnswer | null {
  if (
    method === 'item/commandExecution/requestApproval' ||
    method === 'item/fileChange/requestApproval'
  ) {
    const what = String(params.command ?? params.reason ?? method);
    // --accept-command narrows the shell commands accepted; file changes are accepted with them.
    const accepted =
      policy === 'accept' &&
      (method !== 'item/commandExecution/requestApproval' ||
        acceptCommands.length === 0 ||
        acceptCommands.some((c) => what.includes(c)));
    const decision = accepted ? 'accept' : 'decline';
    return { decision, what, result: { decision } };
  }
  if (method === 'mcpServer/elicitation/request') {
    const meta = (params._meta ?? {}) as {
      codex_approval_kind?: unknown;
      tool_name?: unknown;
      tool_params?: unknown;
    };
    const server = String(params.serverName ?? '?');
    // A tool call to approve, or a question for a person (a form, a URL): declined, nobody is here.
    const toolCall = meta.codex_approval_kind === 'mcp_tool_call';
    const what = toolCall
      ? `${server}/${String(meta.tool_name)} ${JSON.stringify(meta.tool_params ?? {})}`
      : `${server} asks: ${String(params.message ?? params.url ?? '')}`;
    const decision = toolCall && policy === 'accept' ? 'accept' : 'decline';
    return {
      decision,
      what: what.replace(/\s+/g, ' ').slice(0, 300),
      result:
        decision === 'accept'
          ? { action: 'accept', content: {}, _meta: null }
          : { action: 'decline', content: null, _meta: null },
    };
  }
  return null;
}
