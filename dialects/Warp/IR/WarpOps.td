//===- WarpOps.td - Kiln warp operations -------------------*- tablegen -*-===//
//
// Operation definitions of the warp dialect.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_WARP_OPS
#define KILN_WARP_OPS

include "dialects/Warp/IR/WarpDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Warp_MMAOp : Warp_Op<"mma", [AllTypesMatch<["acc", "result"]>]> {
  let summary = "one lane's share of a warp's 16×8 tensor-core product";
  let description = [{
    The warp computes `C[16×8] += A[16×K] · B[K×8]` from two tiles in
    memory, and each lane gets its share of C in the layout of the PTX
    `mma.sync` m16n8 accumulator fragment: with `g = lane / 4` and
    `t = lane % 4`, element `i` of `acc` and of the result is
    `C[g + 8·(i / 2)][2·t + i % 2]`, and

    ```
    result[i] = acc[i] + Σ_{k < K} A[row][k] · B[k][col]
    A[row][k] = a[a_row + g + 8·(i / 2), a_k + k]
    B[k][col] = b[b_col + 2·t + i % 2, b_k + k]
    ```

    `b` holds B transposed (a row per column of C, k contiguous), as
    `mma.sync`'s `.col` B operand and `ldmatrix` want it. The element type
    of both tiles gives the instruction: f16 or bf16 with K = 16
    (m16n8k16), or f32 with K = 8 (m16n8k8 on TF32: each element of A and
    B is first rounded to TF32, 10 mantissa bits, to nearest with ties away
    from zero, as `cvt.rna.tf32.f32` does). Products and sums have f32
    precision; the order of the sum and the rounding of its partial sums
    are unspecified (the tensor core's, or k order in IEEE f32).

    The op is collective: the 32 threads of a warp execute it together,
    each with `lane` its lane id (the thread index modulo 32 in Kiln's
    thread phases), and its result depends only on the tiles and on
    `acc`, so a lane's result can be computed without the other lanes
    (`kiln-gpu-emulate-mma`). On the GPU (`kiln-gpu-lower-mma`) the tiles
    must be in workgroup memory; 16-bit tiles whose rows are a multiple of
    16 bytes are read with `ldmatrix`, which then also needs `a_k` and
    `b_k` to be multiples of 8.

    Example:

    ```mlir
    %d = warp.mma %a[%r0, %k0], %b[%c0, %k0], %acc, lane %lane
        : memref<64x40xf16, #gpu.address_space<workgroup>>,
          memref<64x40xf16, #gpu.address_space<workgroup>>, vector<4xf32>
    ```
  }];
  let arguments = (ins Arg<AnyMemRef, "A tile [rows, k]", [MemRead]>:$a,
                       Index:$a_row, Index:$a_k,
                       Arg<AnyMemRef, "B tile, transposed: [columns, k]",
                           [MemRead]>:$b,
                       Index:$b_col, Index:$b_k,
                       VectorOfLengthAndType<[4], [F32]>:$acc,
                       Index:$lane);
  let results = (outs VectorOfLengthAndType<[4], [F32]>:$result);
  let assemblyFormat = [{
    $a `[` $a_row `,` $a_k `]` `,` $b `[` $b_col `,` $b_k `]` `,` $acc
    `,` `lane` $lane attr-dict `:` type($a) `,` type($b) `,` type($acc)
  }];
  let extraClassDeclaration = [{
    /// K of the instruction: 16 for f16 and bf16, 8 for f32 (TF32).
    int64_t getDepth();
    /// The tiles' element type.
    mlir::Type getElementType();
  }];
  let hasVerifier = 1;
}

#endif // KILN_WARP_OPS
