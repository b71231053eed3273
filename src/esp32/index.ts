/** ESP32 firmware formats: what an ESP-IDF build holds, read and checked as plain data. */

export {
  type AppDescription,
  type BootloaderDescription,
  buildAppDescription,
  buildBootloaderDescription,
  ELF_SHA256_OFFSET,
  readAppDescription,
  readBootloaderDescription,
} from './app-desc.ts';
export { type BuildFlashArgs, readBuildFlashArgs } from './build-dir.ts';
export { parseFlashArgs } from './flash-args.ts';
export type { FlashArgs, FlashFile, FlashImage, FlashSettings } from './flash-options.ts';
export { parseFlasherArgsJson } from './flasher-args-json.ts';
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
  inspectImage,
  parseImage,
} from './image.ts';
export {
  type BootChoice,
  buildOtadata,
  espRomCrc32Le,
  type OtaSelectEntry,
  type OtaSelectSpec,
  otaSelectCrc,
  parseOtadata,
  selectBootPartition,
} from './otadata.ts';
export {
  buildPartitionTable,
  checkPartitionTable,
  loadPartitionTable,
  PARTITION_TABLE_OFFSET,
  type Partition,
  type PartitionSpec,
  type PartitionTable,
  parsePartitionTable,
  singleAppPartitions,
  twoOtaPartitions,
} from './partitions.ts';
