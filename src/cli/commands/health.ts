/** `hutctl slot health …`: show a slot's health, set it (a person's decision), run its check. */
import type { Command } from 'commander';
import { withExamples } from '../help.ts';
import { printable, printRows, when, withLedger } from '../history.ts';
import { wholeNumber } from '../numbers.ts';
import { note, printJson, printLine } from '../output.ts';

/** `slot health [<slot>]`, `slot health set`, `slot health check`. */
export function addSlotHealth(slotGroup: Command): void {
  const health = slotGroup
    .command('health')
    .description(
      'slot health (Good, Unknown, Bad, Maintenance, Retired, Looping): show, set, check',
    );
  withExamples(
    health
      .command('show', { isDefault: true })
      .description('state, since, reason, last check and failure counters of each slot (or one)')
      .argument('[slot]', 'one slot (default: every slot)')
      .option('--json', 'print as JSON'),
    [
      [
        'hutctl slot health show',
        'every slot: state, since, reason, last check (show is the default)',
      ],
      ['hutctl slot health show hut-03 --json', "hut-03's health with its counters, as JSON"],
    ],
  ).action((slot: string | undefined, options: { json?: boolean }, command: Command) =>
    withLedger(
      command,
      async (db, config) => {
        const { slotsHealth } = await import('../../store/health.ts');
        const { getSlot } = await import('../../slots/index.ts');
        const ids = slot ? [getSlot(config, slot).id] : Object.keys(config.slots).sort();
        const all = await slotsHealth(db, ids, config);
        if (options.json) {
          printJson(slot ? all[0] : all);
          return;
        }
        printRows(
          all as unknown as Array<Record<string, string | number | null>>,
          false,
          [
            ['SLOT', (h) => String(h.slot)],
            [
              'STATE',
              (h) =>
                `${h.state}${(h as unknown as { check_due: boolean }).check_due ? ' (check due)' : ''}`,
            ],
            ['SINCE (UTC)', (h) => (h.since ? when(String(h.since)) : '-')],
            [
              'FLASH/BOOT FAIL',
              (h) => {
                const c = (
                  h as unknown as {
                    counters: { flash_failures: number; boot_failures: number; hil_runs: number };
                  }
                ).counters;
                return `${c.flash_failures}/${c.boot_failures} of ${c.hil_runs}`;
              },
            ],
            ['REASON', (h) => `${h.reason}${h.by ? ` (by ${h.by})` : ''}`],
          ],
          'no slots are configured',
        );
      },
      async (config) => {
        if (slot !== undefined) (await import('../../slots/index.ts')).getSlot(config, slot);
      },
    ),
  );
  addSlotHealthCheck(health);
  withExamples(
    health
      .command('set')
      .description(
        "a person's decision: take a slot out of use, or put it back (recorded with who and why)",
      )
      .argument('<slot>', 'the slot id')
      .argument('<state>', 'good | maintenance | retired | looping')
      .requiredOption(
        '--reason <text>',
        'why, in a few words (kept in the ledger and the evidence)',
      )
      .option('--json', 'print the new health as JSON'),
    [
      [
        'hutctl slot health set hut-03 maintenance --reason "USB hub swap"',
        'take hut-03 out of use',
      ],
      ['hutctl slot health set hut-03 good --reason "hub replaced, check passed"', 'put it back'],
    ],
  ).action(
    async (
      slot: string,
      state: string,
      options: { reason: string; json?: boolean },
      command: Command,
    ) => {
      // The decision is evidence first, handed to the ledger's inbox, then recorded as the
      // ledger opens: a ledger that is locked or damaged now still gets it from the next reader.
      let decided: { id: string; path: string; by: string } | null = null;
      try {
        await withLedger(
          command,
          async (db, config) => {
            const [{ slotHealth }, { recordFile }] = await Promise.all([
              import('../../store/health.ts'),
              import('../../store/record.ts'),
            ]);
            const { id, path, by } = decided!;
            await recordFile(db, path); // recorded already, unless the inbox could not take it
            const now = await slotHealth(db, id, config);
            if (options.json) {
              printJson(now);
              return;
            }
            printLine(
              printable(
                `${id}: ${now.state} since ${now.since ? when(now.since) : '-'}: ${now.reason} (by ${by})`,
              ),
            );
          },
          async (config) => {
            const [{ SETTABLE, writeHealthEvent }, { getSlot }, { HutError }, { noteEvidence }] =
              await Promise.all([
                import('../../store/health.ts'),
                import('../../slots/index.ts'),
                import('../../errors/index.ts'),
                import('../../store/ledger.ts'),
              ]);
            const id = getSlot(config, slot).id;
            if (!(SETTABLE as readonly string[]).includes(state)) {
              throw new HutError('USAGE', `${state}: a person sets ${SETTABLE.join(', ')}`, {
                hint: 'Unknown and Bad come from what happens on the slot (a farm error, a failed health check)',
              });
            }
            const reason = options.reason.trim();
            if (
              reason === '' ||
              reason.length > 500 ||
              /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(reason)
            ) {
              throw new HutError('USAGE', '--reason: one line of 1 to 500 characters');
            }
            if (config.store.engine === 'off') return; // withLedger says so, nothing written
            const by = (await import('../../config/index.ts')).personAtHost();
            const path = await writeHealthEvent(config, {
              slot: id,
              state: state as 'good',
              reason,
              by,
            });
            noteEvidence(config, path);
            decided = { id, path, by };
          },
        );
      } catch (error) {
        if (decided === null) throw error;
        const { id, path } = decided as { id: string; path: string };
        const { oneLine } = await import('../../errors/index.ts');
        note(
          `hutctl: warning: the ledger cannot take the decision now (${oneLine((error as Error).message)}); it is kept in ${path}, and the next command that reads the ledger records it`,
        );
        if (options.json) printJson({ slot: id, state, recorded: false, evidence: path });
        else printLine(printable(`${id}: ${state} (decided; not yet in the ledger)`));
      }
    },
  );
}

/** `slot health check <slot>`: HW-BOOT-001 as the slot's health check, with a known-good artifact. */
export function addSlotHealthCheck(health: Command): void {
  withExamples(
    health
      .command('check')
      .description(
        "run the slot's health check now: HW-BOOT-001 with the golden artifact (health.golden) or the slot's last passing one",
      )
      .argument('<slot>', 'the slot id')
      .option('--sha <sha>', 'check with this commit’s artifact instead')
      .option(
        '--loop <n>',
        'on a Looping slot: run the check n times in a row, holding its lock throughout',
      )
      .option('--json', 'print the result and the new health as JSON'),
    [
      ['hutctl slot health check hut-03', 'flash a known-good build on hut-03 and boot it'],
      ['hutctl slot health check hut-03 --sha 3f2c1ab', 'check with a chosen artifact'],
      [
        'hutctl slot health check hut-03 --loop 20',
        'a Looping slot: 20 checks in a row, then how many passed',
      ],
    ],
  ).action(
    (slot: string, options: { sha?: string; loop?: string; json?: boolean }, command: Command) =>
      withLedger(
        command,
        async (db, config) => {
          const [
            { checkArtifact, slotHealth },
            { getSlot },
            { HutError },
            { checkSlot },
            { note },
          ] = await Promise.all([
            import('../../store/health.ts'),
            import('../../slots/index.ts'),
            import('../../errors/index.ts'),
            import('../../hil/index.ts'),
            import('../output.ts'),
          ]);
          const id = getSlot(config, slot).id;
          const times =
            options.loop === undefined ? 1 : wholeNumber(options.loop, '--loop', 1, 1000);
          if (options.loop !== undefined) {
            // A loop on a slot in service would let its last check decide, hiding the others.
            const now = await slotHealth(db, id, config);
            if (now.state !== 'looping')
              throw new HutError('USAGE', `--loop: ${id} is ${now.state}, not looping`, {
                hint: `take it out of service for the loop first: hutctl slot health set ${id} looping --reason "…"`,
              });
          }
          const artifact = options.sha
            ? { sha: options.sha, profile: null }
            : await checkArtifact(db, config, id);
          if (!artifact) {
            throw new HutError(
              'USAGE',
              `no artifact to check ${id} with: it has never passed a test`,
              {
                hint: 'pass --sha <commit>, or set health.golden in hutctl.yaml',
              },
            );
          }
          const say = options.json ? undefined : (line: string) => note(`hutctl: ${line}`);
          const results = await checkSlot(config, id, artifact, {
            times,
            ...(say ? { progress: say } : {}),
            onResult: (result, index) => {
              if (times > 1)
                say?.(
                  `${id}: health check ${index + 1}/${times} ${result.status} (${result.phase}: ${result.reason})`,
                );
            },
          });
          const { recordFile } = await import('../../store/record.ts');
          for (const result of results) {
            const file = result.evidence.find((path) => path.endsWith('.json'));
            if (file) await recordFile(db, file);
          }
          const health = await slotHealth(db, id, config);
          const { exitStatus } = await import('../../hil/index.ts');
          process.exitCode = exitStatus(results);
          const result = results[0]!;
          if (options.json) {
            printJson(options.loop === undefined ? { result, health } : { results, health });
            return;
          }
          if (options.loop === undefined) {
            printLine(
              printable(
                `${id}: health check ${result.status} (${result.phase}: ${result.reason}); now ${health.state}`,
              ),
            );
            return;
          }
          const count = (status: string) => results.filter((r) => r.status === status).length;
          printLine(
            `${id}: ${results.length} health check(s): ${count('pass')} pass, ${count('fail')} fail, ${count('blocked')} blocked; still ${health.state}`,
          );
        },
        async (config) => {
          (await import('../../slots/index.ts')).getSlot(config, slot);
          if (options.sha !== undefined)
            (await import('../../contract/ids.ts')).checkId('sha', options.sha, '--sha');
          if (options.loop !== undefined) wholeNumber(options.loop, '--loop', 1, 1000);
        },
      ),
  );
}
