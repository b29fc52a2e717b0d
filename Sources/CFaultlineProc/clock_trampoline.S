// The code the process-scope clock skew injects into a target process.
//
// Why it is assembled here: FaultlineProcShims copies these bytes (from
// fl_clock_trampoline_start to fl_clock_trampoline_end) out of its own image into a page
// it maps inside the target, then points the target's vDSO entries at the three entry
// points with a 12-byte absolute jump. Everything below is position independent (data is
// addressed RIP-relative inside the blob), so the bytes work at any address. It is never
// executed in Faultline's own process.
//
// Design: each entry makes the real system call (instead of the vDSO's fast path) and then
// adds the offset for CLOCK_REALTIME (0) and CLOCK_REALTIME_COARSE (5). Cost: one syscall
// per call (~100-300 ns instead of ~20 ns). Benefit: no relocated copy of kernel code, no
// dependence on the vDSO's internal layout, every other clock passes through untouched.
//
// The data words (offsets) can be rewritten live through /proc/PID/mem (strobe mode).
// Offset form: seconds (signed) + nanoseconds in [0, 1e9) + the same in microseconds.

#if defined(__x86_64__)
    .intel_syntax noprefix
    .section .rodata.fl_clock_trampoline,"a",@progbits
    .balign 64
    .globl fl_clock_trampoline_start
    .hidden fl_clock_trampoline_start
fl_clock_trampoline_start:
    .ascii "FLCLKSK1"           // +0  magic: identifies a Faultline page on revert
fl_offset_sec:
    .quad 0                     // +8  offset, whole seconds (signed)
fl_offset_nsec:
    .quad 0                     // +16 offset, nanoseconds part, 0 ..< 1_000_000_000
fl_offset_usec:
    .quad 0                     // +24 the same part in microseconds (for gettimeofday)

    .balign 64
    .globl fl_clock_trampoline_clock_gettime
    .hidden fl_clock_trampoline_clock_gettime
// int clock_gettime(clockid_t id /* edi */, struct timespec *ts /* rsi */)
fl_clock_trampoline_clock_gettime:
    mov eax, 228                // SYS_clock_gettime
    syscall                     // clobbers rcx, r11 (caller-saved); keeps rdi, rsi
    test rax, rax
    jnz 1f                      // error: return -errno as the vDSO does
    test edi, edi               // CLOCK_REALTIME
    jz 2f
    cmp edi, 5                  // CLOCK_REALTIME_COARSE
    jne 1f
2:  mov rcx, [rip + fl_offset_sec]
    add rcx, [rsi]
    mov rdx, [rip + fl_offset_nsec]
    add rdx, [rsi + 8]
    cmp rdx, 1000000000
    jl 3f
    sub rdx, 1000000000
    inc rcx
3:  mov [rsi], rcx
    mov [rsi + 8], rdx
1:  ret

    .balign 16
    .globl fl_clock_trampoline_gettimeofday
    .hidden fl_clock_trampoline_gettimeofday
// int gettimeofday(struct timeval *tv /* rdi */, struct timezone *tz /* rsi */)
fl_clock_trampoline_gettimeofday:
    mov eax, 96                 // SYS_gettimeofday
    syscall
    test rax, rax
    jnz 1f
    test rdi, rdi
    jz 1f
    mov rcx, [rip + fl_offset_sec]
    add rcx, [rdi]
    mov rdx, [rip + fl_offset_usec]
    add rdx, [rdi + 8]
    cmp rdx, 1000000
    jl 3f
    sub rdx, 1000000
    inc rcx
3:  mov [rdi], rcx
    mov [rdi + 8], rdx
1:  ret

    .balign 16
    .globl fl_clock_trampoline_time
    .hidden fl_clock_trampoline_time
// time_t time(time_t *t /* rdi */): read CLOCK_REALTIME into a stack timespec, so the
// sub-second part of the offset carries into the seconds exactly as for clock_gettime.
fl_clock_trampoline_time:
    sub rsp, 24
    mov [rsp + 16], rdi
    xor edi, edi                // CLOCK_REALTIME
    mov rsi, rsp
    mov eax, 228                // SYS_clock_gettime
    syscall
    mov rdi, [rsp + 16]
    test rax, rax
    jnz 9f
    mov rax, [rip + fl_offset_sec]
    add rax, [rsp]
    mov rdx, [rip + fl_offset_nsec]
    add rdx, [rsp + 8]
    cmp rdx, 1000000000
    jl 3f
    inc rax
3:  test rdi, rdi
    jz 9f
    mov [rdi], rax
9:  add rsp, 24
    ret

    .globl fl_clock_trampoline_end
    .hidden fl_clock_trampoline_end
fl_clock_trampoline_end:
    .section .note.GNU-stack,"",@progbits
#endif
