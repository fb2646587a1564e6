// RUN: kiln-opt %s --split-input-file --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --check-prefix=CPU
// RUN: kiln-opt %s --split-input-file --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 row-attention=true flash-attention=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --check-prefix=FLASH
// RUN: kiln-opt %s --split-input-file --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 row-attention=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --check-prefix=ROWS
// RUN: kiln-opt %s --split-input-file --kiln-bufferize-boundaries --kiln-bufferize-ops --kiln-convert-to-loops="vector-width=4 row-attention=true flash-attention=true gpu-mma=true" --reconcile-unrealized-casts --canonicalize --cse | FileCheck %s --check-prefix=MMA

// A soft cap of 50 in every attention form: the scores are kept in base 2
// (scale · log2 e), so each is capped as c₂ · tanh(x / c₂) with c₂ = 50 ·
// log2 e = 72.13475, before the bias and the mask.

// The CPU's key blocks: each score vector of a row, capped as the row's
// softmax step reads it (with and without the lane mask), written back.
// CPU-LABEL: func.func @softcap(
// CPU-DAG: %[[INV:.*]] = arith.constant dense<0.0138629433> : vector<8xf32>
// CPU-DAG: %[[CAP:.*]] = arith.constant dense<72.1347503> : vector<8xf32>
// CPU: %[[S:.*]] = vector.load %{{.*}} : memref<96x256xf32>, vector<8xf32>
// CPU-NEXT: %[[X:.*]] = arith.mulf %[[S]], %[[INV]] : vector<8xf32>
// CPU-NEXT: %[[T:.*]] = math.tanh %[[X]] : vector<8xf32>
// CPU-NEXT: %[[C:.*]] = arith.mulf %[[T]], %[[CAP]] : vector<8xf32>
// CPU-NEXT: vector.store %[[C]]
// CPU: math.tanh
// CPU-NOT: math.tanh
// CPU-LABEL: func.func @softcap_mma(

// The GPU's SIMT flash blocks: each score, the sum of its partial scores.
// FLASH-DAG: %[[INV:.*]] = arith.constant 0.0138629433 : f32
// FLASH-DAG: %[[CAP:.*]] = arith.constant 72.1347503 : f32
// FLASH: %[[X:.*]] = arith.mulf %{{.*}}, %[[INV]] : f32
// FLASH-NEXT: %[[T:.*]] = math.tanh %[[X]] : f32
// FLASH-NEXT: arith.mulf %[[T]], %[[CAP]] : f32

// The row form: a vector of one row's scores of 4 keys.
// ROWS-DAG: %[[INV:.*]] = arith.constant dense<0.0138629433> : vector<4xf32>
// ROWS-DAG: %[[CAP:.*]] = arith.constant dense<72.1347503> : vector<4xf32>
// ROWS: %[[S:.*]] = vector.from_elements
// ROWS-NEXT: %[[X:.*]] = arith.mulf %[[S]], %[[INV]] : vector<4xf32>
// ROWS-NEXT: %[[T:.*]] = math.tanh %[[X]] : vector<4xf32>
// ROWS-NEXT: arith.mulf %[[T]], %[[CAP]] : vector<4xf32>
func.func @softcap(%q: tensor<1x?x2x16xf32>, %k: tensor<1x?x2x16xf32>, %v: tensor<1x?x2x16xf32>) -> tensor<1x?x2x16xf32> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64, softcap = 50.0 : f64}
      : (tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>) -> tensor<1x?x2x16xf32>
  return %0 : tensor<1x?x2x16xf32>
}

// -----

// The tensor-core blocks (bf16): each score of the f32 score tile, scaled,
// then capped, before the weights are rounded for P·V.
// MMA-LABEL: func.func @softcap_mma(
// MMA-DAG: %[[INV:.*]] = arith.constant 0.0138629433 : f32
// MMA-DAG: %[[CAP:.*]] = arith.constant 72.1347503 : f32
// MMA: %[[S:.*]] = memref.load %{{.*}} : memref<64x36xf32, #gpu.address_space<workgroup>>
// MMA-NEXT: %[[SC:.*]] = arith.mulf %[[S]], %{{.*}} : f32
// MMA-NEXT: %[[X:.*]] = arith.mulf %[[SC]], %[[INV]] : f32
// MMA-NEXT: %[[T:.*]] = math.tanh %[[X]] : f32
// MMA-NEXT: arith.mulf %[[T]], %[[CAP]] : f32
// MMA: warp.mma
func.func @softcap_mma(%q: tensor<1x?x2x16xbf16>, %k: tensor<1x?x2x16xbf16>, %v: tensor<1x?x2x16xbf16>) -> tensor<1x?x2x16xbf16> {
  %0 = attn.attention %q, %k, %v {mask = #attn<mask causal>, scale = 0.25 : f64, softcap = 50.0 : f64}
      : (tensor<1x?x2x16xbf16>, tensor<1x?x2x16xbf16>, tensor<1x?x2x16xbf16>) -> tensor<1x?x2x16xbf16>
  return %0 : tensor<1x?x2x16xbf16>
}

// -----

// A decode step's scores, a vector of ring entries, capped before the lane
// mask and the online softmax.
// CPU-LABEL: func.func @softcap_decode(
// CPU-DAG: %[[INV:.*]] = arith.constant dense<0.0138629433> : vector<8xf32>
// CPU-DAG: %[[CAP:.*]] = arith.constant dense<72.1347503> : vector<8xf32>
// CPU: %[[X:.*]] = arith.mulf %{{.*}}, %[[INV]] : vector<8xf32>
// CPU-NEXT: %[[T:.*]] = math.tanh %[[X]] : vector<8xf32>
// CPU-NEXT: %[[C:.*]] = arith.mulf %[[T]], %[[CAP]] : vector<8xf32>
// CPU-NEXT: arith.select %{{.*}}, %[[C]], %{{.*}} : vector<8xi1>, vector<8xf32>
func.func @softcap_decode(%q: tensor<?x1x4x16xf32>, %k: tensor<?x1x2x16xf32>,
                          %v: tensor<?x1x2x16xf32>, %kc: tensor<?x?x2x16xf32>,
                          %vc: tensor<?x?x2x16xf32>, %slots: tensor<?xi64>,
                          %pos: tensor<?xi64>) -> tensor<?x1x4x16xf32> {
  %0 = attn.decode_attention %q, %k, %v cache %kc, %vc slots %slots positions %pos
      {mask = #attn<mask causal>, scale = 0.25 : f64, softcap = 50.0 : f64}
      : (tensor<?x1x4x16xf32>, tensor<?x1x2x16xf32>, tensor<?x1x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x1x4x16xf32>
  return %0 : tensor<?x1x4x16xf32>
}
