// x86-64 struct pt_regs: where a probed function's arguments and return value are in the context of
// kprobes and uprobes (System V calling convention: di, si, dx, cx, r8, r9; the result in ax).

export const PT_REGS_ARG_OFFSETS = [112, 104, 96, 88, 72, 64] as const;
export const PT_REGS_RETVAL_OFFSET = 80;
export const PT_REGS_IP_OFFSET = 128;
export const PT_REGS_SP_OFFSET = 152;
