;; The masking loop of simd-cipher.ts (RFC 6455 §5.3), 64 bytes a step in 128-bit lanes.
;; Compiled to the bytes embedded in simd-cipher.ts; test/simd-cipher.test.ts checks that they
;; match this source (with wabt).
(module
  ;; 128 KiB: a block of up to 64 KiB, and room for the last step to run past its end.
  (memory (export "memory") 2)
  ;; xor(length, key): XOR bytes [0, length) of memory with `key` repeated; `length` is a
  ;; multiple of 64 and `key` is the masking key rotated to line up with byte 0, little-endian.
  (func (export "xor") (param $len i32) (param $key i32)
    (local $i i32) (local $k v128)
    (local.set $k (i32x4.splat (local.get $key)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (v128.store (local.get $i) (v128.xor (v128.load (local.get $i)) (local.get $k)))
        (v128.store offset=16 (local.get $i) (v128.xor (v128.load offset=16 (local.get $i)) (local.get $k)))
        (v128.store offset=32 (local.get $i) (v128.xor (v128.load offset=32 (local.get $i)) (local.get $k)))
        (v128.store offset=48 (local.get $i) (v128.xor (v128.load offset=48 (local.get $i)) (local.get $k)))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $next))))
)
