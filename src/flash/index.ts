/** The built-in flasher: esptool-js on a Node serial port. */
export {
  type After,
  type Before,
  type FlashedFile,
  type FlashFile,
  type FlashFreq,
  type FlashImagesOptions,
  type FlashMode,
  type FlashProgress,
  type FlashResult,
  type FlashSize,
  flashImages,
} from './flasher.ts';
export { NodeSerialPort, type SerialSignals } from './port.ts';
export type { Identity } from './session.ts';
export type { Stty } from './stty.ts';
