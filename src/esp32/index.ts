/** ESP32 firmware formats: what an ESP-IDF build holds, read and checked as plain data. */

export {
  buildImage,
  CHIP_IDS,
  type CheckImageOptions,
  checkImage,
  type EspImage,
  type FlashFreq,
  type FlashMode,
  type FlashSize,
  type ImageSegment,
  type ImageSpec,
  parseImage,
} from './image.ts';
