/** A simulated ESP32's side of the serial line: its ROM bootloader, the flasher stub, its flash. */
export {
  BOOTLOADER_OFFSET,
  type BootOutput,
  bootFromFlash,
  CANNED_BOOT,
  type FlashReader,
} from './boot.ts';
export { FLASH_SIZE, SECTOR_SIZE, SimFlash } from './flash.ts';
export { type LoaderOptions, RomLoader } from './loader.ts';
export {
  buildRequest,
  buildResponse,
  dataChecksum,
  OP,
  parseRequest,
  ROM_ERROR,
  STUB_ERROR,
  SYNC_DATA,
} from './packet.ts';
export { CHIP_MAGIC_ADDR, ESP32_MAGIC, FLASH_ID } from './registers.ts';
export { SlipDecoder, slipEncode, slipReadHost } from './slip.ts';
