// BTF reader: lazily decoded kernel type information (see spec.ts for the format, btf.ts for the
// vmlinux + modules facade).
export { Btf, dirModuleSource, SYS_BTF_DIR, type BtfModuleSource, type FindOptions } from './btf.ts';
export { BtfSpec, parseBtf, parseBtfHeader, type BtfSpecOptions, type FindKind, type LookupScope } from './spec.ts';
export * from './types.ts';
