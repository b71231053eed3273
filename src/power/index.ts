/** Power control for slots: backends behind one interface, and the shared on/off/cycle procedure. */
import type { HutConfig, Slot } from '../config/index.ts';
import { HutError } from '../errors/index.ts';
import type { PowerBackend } from './backend.ts';
import { CommandBackend } from './backends/command.ts';
import { HomeAssistantBackend } from './backends/homeassistant.ts';

export { type PowerBackend, PowerError, type RelayState } from './backend.ts';
export {
  coldBoot,
  type PhaseTiming,
  type PowerContext,
  type PowerCycleResult,
  type PowerStatus,
  type PowerSwitchResult,
  powerCycle,
  powerState,
  powerSwitch,
} from './cycle.ts';
export { type PowerRecord, readPowerRecord } from './state.ts';

export function backendFor(
  config: HutConfig,
  slot: Slot,
  env: NodeJS.ProcessEnv = process.env,
): PowerBackend {
  const power = slot.power;
  if (!power) {
    throw new HutError('CONFIG', `slot ${slot.id} has no power control configured`, {
      hint: `add power: {backend: homeassistant, entity: switch.<relay>} under slots.${slot.id}`,
    });
  }
  switch (power.backend) {
    case 'homeassistant':
      if (!config.homeAssistant) throw new HutError('CONFIG', 'home_assistant: is not configured');
      return new HomeAssistantBackend(config.homeAssistant, power.entity!, env);
    case 'command':
      return new CommandBackend(power.on!, power.off!, power.status);
  }
}
