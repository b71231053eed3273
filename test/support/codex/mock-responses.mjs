// A scripted stand-in for the model provider's Responses API (POST /v1/responses, SSE), on
// 127.0.0.1. What the model "does" is chosen from the conversation:
//   RUN:<cmd>  in the user text  -> call exec_command {cmd}, then answer with its output
//   FAIL401                      -> HTTP 401 from the provider
//   TABLE                        -> answer with a Markdown table (pipes, a rule, line breaks)
//   HANG                         -> never answer (the caller's deadline must end it)
//   BOARDS:<label>               -> work on a board through hutctl's MCP tools (boards.mjs)
//   otherwise                    -> answer "done: <text>"
import { createServer } from 'node:http';
import { boardsStep } from './boards.mjs';

let counter = 0;
const sse = (res, events) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const data of events) res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
};
const usage = {
  input_tokens: 1000,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 20,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 1020,
};

function texts(input) {
  const out = [];
  for (const item of input ?? []) {
    if (item.type === 'message' && item.role === 'user')
      for (const c of item.content ?? []) if (typeof c.text === 'string') out.push(c.text);
  }
  return out;
}

export function startMock(port = 0) {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url.endsWith('/responses')) return res.writeHead(404).end();
      const request = JSON.parse(body);
      const input = request.input ?? [];
      const last = texts(input).at(-1) ?? '';
      const id = `resp_mock_${++counter}`;
      if (last.includes('FAIL401'))
        return res.writeHead(401, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: {
              message: 'Incorrect API key provided',
              type: 'invalid_request_error',
              code: 'invalid_api_key',
            },
          }),
        );
      if (last.includes('HANG')) return; // never answers
      const boards = /BOARDS:(\S+)/.exec(last);
      if (boards) {
        const step = boardsStep(boards[1], request.tools ?? [], input);
        const item = step.call
          ? {
              type: 'function_call',
              id: `fc_${counter}`,
              call_id: `call_mock_${counter}`,
              ...step.call,
            }
          : {
              type: 'message',
              role: 'assistant',
              id: `msg_${counter}`,
              content: [{ type: 'output_text', text: step.answer }],
            };
        return sse(res, [
          { type: 'response.created', response: { id } },
          { type: 'response.output_item.done', output_index: 0, item },
          { type: 'response.completed', response: { id, usage } },
        ]);
      }
      const output = [...input].reverse().find((i) => i.type === 'function_call_output');
      const run = /RUN:(.+)$/m.exec(last);
      const answered =
        output &&
        input.lastIndexOf(output) >
          input.findLastIndex((i) => i.type === 'message' && i.role === 'user');
      if (run && !answered) {
        return sse(res, [
          { type: 'response.created', response: { id } },
          {
            type: 'response.output_item.done',
            output_index: 0,
            item: {
              type: 'function_call',
              id: `fc_${counter}`,
              call_id: `call_mock_${counter}`,
              name: 'exec_command',
              arguments: JSON.stringify({ cmd: run[1].trim(), yield_time_ms: 2000 }),
            },
          },
          { type: 'response.completed', response: { id, usage } },
        ]);
      }
      const result = answered ? String(output.output).split('Output:\n').at(-1).trim() : '';
      const text = answered
        ? `ran it: ${result}`
        : last.includes('TABLE')
          ? 'Checked both boards.\n\n| slot | result |\n|---|---|\n| hut-01 | pass |\n| hut-02 | fail: `E (312) boot: no app` |\n'
          : `done: ${last.slice(0, 60)}`;
      sse(res, [
        { type: 'response.created', response: { id } },
        {
          type: 'response.output_item.done',
          output_index: 0,
          item: {
            type: 'message',
            role: 'assistant',
            id: `msg_${counter}`,
            content: [{ type: 'output_text', text }],
          },
        },
        { type: 'response.completed', response: { id, usage } },
      ]);
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
