// The kernel helper functions tsbt calls, by number (enum bpf_func_id in linux/bpf.h).

export const Helper = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  probe_read: 4,
  ktime_get_ns: 5,
  trace_printk: 6,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  get_current_pid_tgid: 14,
  get_current_uid_gid: 15,
  get_current_comm: 16,
  get_stackid: 27,
  get_current_task: 35,
  get_numa_node_id: 42,
  probe_read_str: 45,
  get_current_cgroup_id: 80,
  probe_read_user: 112,
  probe_read_kernel: 113,
  probe_read_user_str: 114,
  probe_read_kernel_str: 115,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133,
  jiffies64: 118,
  ktime_get_boot_ns: 125,
  send_signal: 109,
  get_func_ip: 173,
  get_stack: 67,
  for_each_map_elem: 164,
  map_lookup_percpu_elem: 195,
} as const;

export type HelperName = keyof typeof Helper;

const names = new Map<number, string>(Object.entries(Helper).map(([k, v]) => [v, k]));
export function helperName(id: number): string {
  return names.get(id) ?? `helper#${id}`;
}
