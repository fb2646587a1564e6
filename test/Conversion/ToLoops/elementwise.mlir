// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops --reconcile-unrealized-casts | FileCheck %s --implicit-check-not=graph.
// RUN: kiln-opt %s --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops=vector-width=16 --reconcile-unrealized-casts | FileCheck %s --check-prefix=FUSED

// Unary activations, broadcasting binary arithmetic and casts: outer dims
// in scf.parallel, the last dim in an scf.for, and a returned result
// written straight into the trailing out-parameter (no buffer, no copy).

// The function boundary: tensors become memrefs, the result an out-param
// that the loops store into.
// CHECK-LABEL: func.func @gelu
// CHECK-SAME: (%[[X:.*]]: memref<?x?x8xf32>, %[[OUT:.*]]: memref<?x?x8xf32>) {
// CHECK: %[[D0:.*]] = memref.dim %[[X]], %c0
// CHECK: %[[D1:.*]] = memref.dim %[[X]], %c1
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) = ({{.*}}) to (%[[D0]], %[[D1]])
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %c8
// CHECK: %[[V:.*]] = memref.load %[[X]][%[[I]], %[[J]], %[[K]]]
// CHECK: arith.mulf %[[V]], %{{.*}} : f32
// CHECK: math.erf
// CHECK: memref.store %{{.*}}, %[[OUT]][%[[I]], %[[J]], %[[K]]]
// CHECK: scf.reduce
// CHECK-NEXT: }
// CHECK-NEXT: return
// CHECK-NEXT: }
func.func @gelu(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %0 = graph.gelu %x : tensor<?x?x8xf32>
  return %0 : tensor<?x?x8xf32>
}

// CHECK-LABEL: func.func @relu
// CHECK: scf.parallel
// CHECK: %[[V:.*]] = memref.load
// CHECK: %[[POS:.*]] = arith.cmpf ugt, %[[V]], %{{.*}} : f32
// CHECK: arith.select %[[POS]], %[[V]], %{{.*}} : f32
func.func @relu(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = graph.relu %x : tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @gelu_tanh
// CHECK: scf.parallel
// CHECK: arith.mulf
// CHECK: math.tanh
// CHECK-NOT: math.erf
func.func @gelu_tanh(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = graph.gelu_tanh %x : tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// silu = x * sigmoid(x), sigmoid = 1 / (1 + exp(-x)).
// CHECK-LABEL: func.func @silu
// CHECK: %[[V:.*]] = memref.load
// CHECK: %[[NEG:.*]] = arith.negf %[[V]]
// CHECK: %[[E:.*]] = math.exp %[[NEG]]
// CHECK: %[[DEN:.*]] = arith.addf %{{.*}}, %[[E]]
// CHECK: %[[SIG:.*]] = arith.divf %{{.*}}, %[[DEN]]
// CHECK: arith.mulf %[[V]], %[[SIG]]
func.func @silu(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = graph.silu %x : tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @sigmoid
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: arith.divf
func.func @sigmoid(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = graph.sigmoid %x : tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @tanh_exp_neg
// CHECK: math.tanh
// CHECK: math.exp
// CHECK: arith.negf
func.func @tanh_exp_neg(%x: tensor<16xf32>) -> tensor<16xf32> {
  %0 = graph.tanh %x : tensor<16xf32>
  %1 = graph.exp %0 : tensor<16xf32>
  %2 = graph.neg %1 : tensor<16xf32>
  return %2 : tensor<16xf32>
}

// softplus keeps x above PyTorch's threshold of 20.
// CHECK-LABEL: func.func @softplus
// CHECK: %[[V:.*]] = memref.load
// CHECK: %[[LARGE:.*]] = arith.cmpf ogt, %[[V]], %{{.*}} : f32
// CHECK: %[[E:.*]] = math.exp %[[V]]
// CHECK: %[[L:.*]] = math.log1p %[[E]]
// CHECK: arith.select %[[LARGE]], %[[V]], %[[L]]
func.func @softplus(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = graph.softplus %x : tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// rsqrt is an exact 1 / sqrt(x) (math.rsqrt has no LLVM lowering).
// CHECK-LABEL: func.func @rsqrt
// CHECK: %[[S:.*]] = math.sqrt
// CHECK: arith.divf %{{.*}}, %[[S]]
// CHECK-NOT: math.rsqrt
func.func @rsqrt(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = graph.rsqrt %x : tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// 16-bit floats compute in f32.
// CHECK-LABEL: func.func @f16
// CHECK: %[[V:.*]] = memref.load %{{.*}} : memref<?x16xf16>
// CHECK: %[[W:.*]] = arith.extf %[[V]] : f16 to f32
// CHECK: math.exp
// CHECK: %[[N:.*]] = arith.truncf %{{.*}} : f32 to f16
// CHECK: memref.store %[[N]]
func.func @f16(%x: tensor<?x16xf16>) -> tensor<?x16xf16> {
  %0 = graph.exp %x : tensor<?x16xf16>
  return %0 : tensor<?x16xf16>
}

// A [4] operand broadcasts against [?, 4]: the dynamic size comes from the
// operand that has it.
// CHECK-LABEL: func.func @add_broadcast
// CHECK-SAME: (%[[A:.*]]: memref<?x4xf32>, %[[B:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<?x4xf32>)
// CHECK: %[[D0:.*]] = memref.dim %[[A]], %c0
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[I:.*]]) = ({{.*}}) to (%[[D0]])
// CHECK: scf.for %[[J:.*]] =
// CHECK: %[[X:.*]] = memref.load %[[A]][%[[I]], %[[J]]]
// CHECK: %[[Y:.*]] = memref.load %[[B]][%[[J]]]
// CHECK: %[[SUM:.*]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK: memref.store %[[SUM]], %[[OUT]][%[[I]], %[[J]]]
// CHECK-NOT: memref.copy
// CHECK: return
func.func @add_broadcast(%a: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %0 = graph.add %a, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// A static 1 reads index 0; the dynamic last dim is read from the rhs.
// CHECK-LABEL: func.func @sub_size_one
// CHECK-SAME: (%[[A:.*]]: memref<2x1xf32>, %[[B:.*]]: memref<?xf32>, %[[OUT:.*]]: memref<2x?xf32>)
// CHECK: %[[N:.*]] = memref.dim %[[B]], %c0
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %[[N]]
// CHECK: memref.load %[[A]][%[[I]], %c0{{.*}}]
// CHECK: memref.load %[[B]][%[[J]]]
// CHECK: arith.subf
// CHECK: memref.store %{{.*}}, %[[OUT]][%[[I]], %[[J]]]
func.func @sub_size_one(%a: tensor<2x1xf32>, %b: tensor<?xf32>) -> tensor<2x?xf32> {
  %0 = graph.sub %a, %b : tensor<2x1xf32>, tensor<?xf32> -> tensor<2x?xf32>
  return %0 : tensor<2x?xf32>
}

// CHECK-LABEL: func.func @mul_div
// CHECK: arith.mulf
// CHECK: arith.divf
func.func @mul_div(%a: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<8xf32> {
  %0 = graph.mul %a, %b : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  %1 = graph.div %0, %b : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  return %1 : tensor<8xf32>
}

// Integer arithmetic stays integer.
// CHECK-LABEL: func.func @integer
// CHECK: arith.addi %{{.*}}, %{{.*}} : i32
// CHECK: arith.subi %{{.*}}, %{{.*}} : i32
// CHECK: arith.muli %{{.*}}, %{{.*}} : i32
// CHECK: arith.divsi %{{.*}}, %{{.*}} : i32
func.func @integer(%a: tensor<?xi32>, %b: tensor<?xi32>) -> tensor<?xi32> {
  %0 = graph.add %a, %b : tensor<?xi32>, tensor<?xi32> -> tensor<?xi32>
  %1 = graph.sub %0, %b : tensor<?xi32>, tensor<?xi32> -> tensor<?xi32>
  %2 = graph.mul %1, %b : tensor<?xi32>, tensor<?xi32> -> tensor<?xi32>
  %3 = graph.div %2, %b : tensor<?xi32>, tensor<?xi32> -> tensor<?xi32>
  return %3 : tensor<?xi32>
}

// Casts: float to int truncates toward zero; f16 <-> bf16 go through f32.
// CHECK-LABEL: func.func @casts
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.sitofp %{{.*}} : i32 to f16
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.fptosi %{{.*}} : f32 to i64
// CHECK: arith.trunci %{{.*}} : i64 to i32
// CHECK: arith.extsi %{{.*}} : i32 to i64
func.func @casts(%x: tensor<?x8xf32>) -> tensor<?x8xi64> {
  %0 = graph.cast %x : tensor<?x8xf32> -> tensor<?x8xi32>
  %1 = graph.cast %0 : tensor<?x8xi32> -> tensor<?x8xf16>
  %2 = graph.cast %1 : tensor<?x8xf16> -> tensor<?x8xbf16>
  %3 = graph.cast %2 : tensor<?x8xbf16> -> tensor<?x8xf32>
  %4 = graph.cast %3 : tensor<?x8xf32> -> tensor<?x8xi64>
  %5 = graph.cast %4 : tensor<?x8xi64> -> tensor<?x8xi32>
  %6 = graph.cast %5 : tensor<?x8xi32> -> tensor<?x8xi64>
  return %6 : tensor<?x8xi64>
}

// A fused group is one loop nest: rows in parallel, 16-lane vectors along
// the last dimension (a masked tail), the broadcast bias loaded as a vector
// and the chain evaluated in registers with no intermediate buffer, the
// result stored straight into the out-parameter.

// FUSED-LABEL: func.func @fused_group
// FUSED-SAME: %[[OUT:[^:]*]]: memref<?x20xf32>) {
// FUSED-NOT: memref.alloc
// FUSED: scf.parallel
// FUSED: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// FUSED: vector.load %{{.*}} : memref<?x20xf32>, vector<16xf32>
// FUSED: vector.load %{{.*}} : memref<20xf32>, vector<16xf32>
// FUSED: arith.addf %{{.*}} : vector<16xf32>
// FUSED: math.exp %{{.*}} : vector<16xf32>
// FUSED: vector.store %{{.*}}, %[[OUT]]
// FUSED: vector.maskedload
// FUSED: vector.maskedstore %[[OUT]]
// FUSED-NOT: memref.copy
// FUSED: return
func.func @fused_group(%x: tensor<?x20xf32>, %b: tensor<20xf32>) -> tensor<?x20xf32> {
  %0 = graph.fused_elementwise %x, %b : (tensor<?x20xf32>, tensor<20xf32>) -> tensor<?x20xf32> {
  ^bb0(%a: tensor<?x20xf32>, %c: tensor<20xf32>):
    %s = graph.add %a, %c : tensor<?x20xf32>, tensor<20xf32> -> tensor<?x20xf32>
    %e = graph.exp %s : tensor<?x20xf32>
    graph.yield %e : tensor<?x20xf32>
  }
  return %0 : tensor<?x20xf32>
}

// Data movement read through: rotate_half's concat along the lanes
// evaluates each part on the lanes it covers (loads masked to them, at
// the place shifted by the part's offset and the slice's start) and
// selects; a concat along another axis branches on the row.

// FUSED-LABEL: func.func @fused_rotate_half
// FUSED: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// FUSED: vector.create_mask
// FUSED: vector.maskedload %{{.*}} : memref<?x40xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// FUSED: arith.negf %{{.*}} : vector<16xf32>
// FUSED: vector.maskedload %{{.*}} : memref<?x40xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// FUSED: arith.select %{{.*}} : vector<16xi1>, vector<16xf32>
// FUSED: arith.mulf
// FUSED: vector.store
func.func @fused_rotate_half(%x: tensor<?x40xf32>, %sin: tensor<40xf32>) -> tensor<?x40xf32> {
  %0 = graph.fused_elementwise %x, %sin : (tensor<?x40xf32>, tensor<40xf32>) -> tensor<?x40xf32> {
  ^bb0(%a: tensor<?x40xf32>, %s: tensor<40xf32>):
    %lo = graph.slice %a {axis = 1 : i64, start = 0 : i64, end = 20 : i64} : tensor<?x40xf32> -> tensor<?x20xf32>
    %hi = graph.slice %a {axis = 1 : i64, start = 20 : i64, end = 40 : i64} : tensor<?x40xf32> -> tensor<?x20xf32>
    %n = graph.neg %hi : tensor<?x20xf32>
    %r = graph.concat %n, %lo {axis = 1 : i64} : (tensor<?x20xf32>, tensor<?x20xf32>) -> tensor<?x40xf32>
    %m = graph.mul %r, %s : tensor<?x40xf32>, tensor<40xf32> -> tensor<?x40xf32>
    graph.yield %m : tensor<?x40xf32>
  }
  return %0 : tensor<?x40xf32>
}

// FUSED-LABEL: func.func @fused_concat_rows
// FUSED: scf.parallel
// FUSED: arith.cmpi slt, %{{.*}}, %c2
// FUSED: scf.if %{{.*}} -> (vector<16xf32>)
// FUSED: math.exp
// FUSED: } else {
// FUSED: math.tanh
func.func @fused_concat_rows(%x: tensor<2x24xf32>, %y: tensor<3x24xf32>) -> tensor<5x24xf32> {
  %0 = graph.fused_elementwise %x, %y : (tensor<2x24xf32>, tensor<3x24xf32>) -> tensor<5x24xf32> {
  ^bb0(%a: tensor<2x24xf32>, %b: tensor<3x24xf32>):
    %e = graph.exp %a : tensor<2x24xf32>
    %t = graph.tanh %b : tensor<3x24xf32>
    %c = graph.concat %e, %t {axis = 0 : i64} : (tensor<2x24xf32>, tensor<3x24xf32>) -> tensor<5x24xf32>
    graph.yield %c : tensor<5x24xf32>
  }
  return %0 : tensor<5x24xf32>
}
