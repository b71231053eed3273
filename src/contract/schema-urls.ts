/** Where the JSON Schemas are published, and the line that points a YAML language server at one. */
export const SCHEMA_BASE = 'https://raw.githubusercontent.com/hutctl/hutctl/main/schemas/';

/** The first line of a hutctl.yaml hutctl writes: editors then check and complete it. */
export const CONFIG_SCHEMA_COMMENT = `# yaml-language-server: $schema=${SCHEMA_BASE}hutctl.config.v1.schema.json`;
