// RUN: kiln-opt %s --pass-pipeline='builtin.module(gpu.module(kiln-gpu-lower-mma))' | FileCheck %s --implicit-check-not=warp.

// Each warp.mma becomes one tensor-core instruction fed by its lane's
// fragments. 16-bit tiles that are workgroup attributions with 16-byte rows
// are read with ldmatrix, their alignment raised to 16 bytes (a larger one
// is kept): x4 for A, lane l addressing row a_row + l % 16 at column
// a_k + 8·(l / 16); x2 for B (stored transposed), lane l addressing row
// b_col + l % 8 at column b_k + 8·((l / 8) % 2).

#wg = #gpu.address_space<workgroup>

// The bf16 instruction is an LLVM intrinsic, declared once.
// CHECK-LABEL: gpu.module @kernels
// CHECK: llvm.func @llvm.nvvm.mma.m16n8k16.row.col.bf16(i32, i32, i32, i32, i32, i32, f32, f32, f32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
gpu.module @kernels {

  // CHECK-LABEL: gpu.func @f16
  // CHECK-SAME: (%[[ACC:.*]]: vector<4xf32>, %[[R:.*]]: index, %[[C:.*]]: index, %[[K:.*]]: index, %[[LANE:.*]]: index) -> vector<4xf32>
  // CHECK-SAME: workgroup(%[[A:.*]] : memref<64x40xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[B:.*]] : memref<64x40xf16, #gpu.address_space<workgroup>> {llvm.align = 32 : i64})
  // CHECK: %[[L16:.*]] = arith.remui %[[LANE]], %c16
  // CHECK: %[[AROW:.*]] = arith.addi %[[R]], %[[L16]]
  // CHECK: %[[HALF:.*]] = arith.divui %[[LANE]], %c16
  // CHECK: %[[AOFF:.*]] = arith.muli %[[HALF]], %c8
  // CHECK: %[[ACOL:.*]] = arith.addi %[[K]], %[[AOFF]]
  // CHECK: %[[AF:.*]] = nvgpu.ldmatrix %[[A]][%[[AROW]], %[[ACOL]]] {numTiles = 4 : i32, transpose = false} : memref<64x40xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
  // CHECK: %[[L8:.*]] = arith.remui %[[LANE]], %c8
  // CHECK: %[[BROW:.*]] = arith.addi %[[C]], %[[L8]]
  // CHECK: %[[Q:.*]] = arith.divui %[[LANE]], %c8
  // CHECK: %[[Q2:.*]] = arith.remui %[[Q]], %c2
  // CHECK: %[[BOFF:.*]] = arith.muli %[[Q2]], %c8
  // CHECK: %[[BCOL:.*]] = arith.addi %[[K]], %[[BOFF]]
  // CHECK: %[[BF:.*]] = nvgpu.ldmatrix %[[B]][%[[BROW]], %[[BCOL]]] {numTiles = 2 : i32, transpose = false} : memref<64x40xf16, #gpu.address_space<workgroup>> -> vector<2x2xf16>
  // CHECK: %[[C2:.*]] = vector.shape_cast %[[ACC]] : vector<4xf32> to vector<2x2xf32>
  // CHECK: %[[D:.*]] = nvgpu.mma.sync(%[[AF]], %[[BF]], %[[C2]]) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
  // CHECK: %[[D4:.*]] = vector.shape_cast %[[D]] : vector<2x2xf32> to vector<4xf32>
  // CHECK: gpu.return %[[D4]]
  gpu.func @f16(%acc: vector<4xf32>, %r: index, %c: index, %k: index, %lane: index) -> vector<4xf32>
      workgroup(%a: memref<64x40xf16, #wg>, %b: memref<64x40xf16, #wg> {llvm.align = 32 : i64}) {
    %d = warp.mma %a[%r, %k], %b[%c, %k], %acc, lane %lane : memref<64x40xf16, #wg>, memref<64x40xf16, #wg>, vector<4xf32>
    gpu.return %d : vector<4xf32>
  }

  // bf16: the same loads; the fragments as i32 pairs for the intrinsic.
  // CHECK-LABEL: gpu.func @bf16
  // CHECK-SAME: (%[[ACC:[^:]*]]: vector<4xf32>
  // CHECK: %[[AF:.*]] = nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false} : memref<64x40xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
  // CHECK: %[[BF:.*]] = nvgpu.ldmatrix {{.*}} {numTiles = 2 : i32, transpose = false} : memref<64x40xbf16, #gpu.address_space<workgroup>> -> vector<2x2xbf16>
  // CHECK: %[[AI:.*]] = vector.bitcast %[[AF]] : vector<4x2xbf16> to vector<4x1xi32>
  // CHECK-COUNT-4: vector.extract %[[AI]]
  // CHECK: %[[BI:.*]] = vector.bitcast %[[BF]] : vector<2x2xbf16> to vector<2x1xi32>
  // CHECK-COUNT-2: vector.extract %[[BI]]
  // CHECK-COUNT-4: vector.extract %[[ACC]]
  // CHECK: %[[D:.*]] = llvm.call @llvm.nvvm.mma.m16n8k16.row.col.bf16({{.*}}) : (i32, i32, i32, i32, i32, i32, f32, f32, f32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
  // CHECK-COUNT-4: llvm.extractvalue %[[D]]
  gpu.func @bf16(%acc: vector<4xf32>, %r: index, %c: index, %k: index, %lane: index) -> vector<4xf32>
      workgroup(%a: memref<64x40xbf16, #wg>, %b: memref<64x40xbf16, #wg>) {
    %d = warp.mma %a[%r, %k], %b[%c, %k], %acc, lane %lane : memref<64x40xbf16, #wg>, memref<64x40xbf16, #wg>, vector<4xf32>
    gpu.return %d : vector<4xf32>
  }

  // f32: TF32 m16n8k8, the PTX fragments loaded one by one
  // (a: (g, t), (g + 8, t), (g, t + 4), (g + 8, t + 4); b: (g, t),
  // (g, t + 4) of the transposed B) and rounded by cvt.rna.tf32.f32.
  // CHECK-LABEL: func.func @tf32
  // CHECK-SAME: (%[[A:.*]]: memref<64x36xf32, #gpu.address_space<workgroup>>, %[[B:.*]]: memref<64x36xf32, #gpu.address_space<workgroup>>, %[[ACC:.*]]: vector<4xf32>, %[[R:.*]]: index, %[[C:.*]]: index, %[[K:.*]]: index, %[[LANE:.*]]: index)
  // CHECK: %[[G:.*]] = arith.divui %[[LANE]], %c4
  // CHECK: %[[T:.*]] = arith.remui %[[LANE]], %c4
  // CHECK: %[[R0:.*]] = arith.addi %[[R]], %[[G]]
  // CHECK: %[[R1:.*]] = arith.addi %[[R0]], %c8
  // CHECK: %[[K0:.*]] = arith.addi %[[K]], %[[T]]
  // CHECK: %[[K1:.*]] = arith.addi %[[K0]], %c4
  // CHECK: %[[X0:.*]] = memref.load %[[A]][%[[R0]], %[[K0]]]
  // CHECK: llvm.inline_asm "cvt.rna.tf32.f32 $0, $1;", "=r,f" %[[X0]] : (f32) -> i32
  // CHECK: memref.load %[[A]][%[[R1]], %[[K0]]]
  // CHECK: memref.load %[[A]][%[[R0]], %[[K1]]]
  // CHECK: %[[AF:.*]] = vector.insert %{{.*}}, %{{.*}} [3, 0] : f32 into vector<4x1xf32>
  // CHECK: %[[COL:.*]] = arith.addi %[[C]], %[[G]]
  // CHECK: memref.load %[[B]][%[[COL]], %{{.*}}]
  // CHECK: %[[BF:.*]] = vector.insert %{{.*}}, %{{.*}} [1, 0] : f32 into vector<2x1xf32>
  // CHECK: %[[C2:.*]] = vector.shape_cast %[[ACC]]
  // CHECK: nvgpu.mma.sync(%[[AF]], %[[BF]], %[[C2]]) {mmaShape = [16, 8, 8], tf32Enabled} : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
  func.func @tf32(%a: memref<64x36xf32, #wg>, %b: memref<64x36xf32, #wg>, %acc: vector<4xf32>, %r: index, %c: index, %k: index, %lane: index) -> vector<4xf32> {
    %d = warp.mma %a[%r, %k], %b[%c, %k], %acc, lane %lane : memref<64x36xf32, #wg>, memref<64x36xf32, #wg>, vector<4xf32>
    return %d : vector<4xf32>
  }

  // Rows of 40 bytes, or a tile that is no workgroup attribution (its
  // alignment unknown): the 16-bit fragments are loaded element by element,
  // a (g, 2t), (g + 8, 2t), (g, 2t + 8), (g + 8, 2t + 8) and b (g, 2t),
  // (g, 2t + 8), two each.
  // CHECK-LABEL: func.func @unaligned
  // CHECK-NOT: nvgpu.ldmatrix
  // CHECK-COUNT-8: memref.load %{{.*}} : memref<16x20xf16, #gpu.address_space<workgroup>>
  // CHECK-COUNT-4: memref.load %{{.*}} : memref<8x16xf16>
  // CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]}
  func.func @unaligned(%a: memref<16x20xf16, #wg>, %b: memref<8x16xf16>, %acc: vector<4xf32>, %r: index, %c: index, %k: index, %lane: index) -> vector<4xf32> {
    %d = warp.mma %a[%r, %k], %b[%c, %k], %acc, lane %lane : memref<16x20xf16, #wg>, memref<8x16xf16>, vector<4xf32>
    return %d : vector<4xf32>
  }
}
