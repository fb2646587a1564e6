// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of dialects/Warp/IR/WarpOps.cpp.

func.func @rank(%a: memref<16x16x1xf16>, %b: memref<8x16xf16>, %acc: vector<4xf32>, %i: index) -> vector<4xf32> {
  // expected-error @+1 {{'warp.mma' op requires tiles of rank 2, got 3 and 2}}
  %d = warp.mma %a[%i, %i], %b[%i, %i], %acc, lane %i : memref<16x16x1xf16>, memref<8x16xf16>, vector<4xf32>
  return %d : vector<4xf32>
}

// -----

func.func @mixed(%a: memref<16x16xf16>, %b: memref<8x16xbf16>, %acc: vector<4xf32>, %i: index) -> vector<4xf32> {
  // expected-error @+1 {{'warp.mma' op requires tiles of one element type, got 'f16' and 'bf16'}}
  %d = warp.mma %a[%i, %i], %b[%i, %i], %acc, lane %i : memref<16x16xf16>, memref<8x16xbf16>, vector<4xf32>
  return %d : vector<4xf32>
}

// -----

func.func @element(%a: memref<16x16xf64>, %b: memref<8x16xf64>, %acc: vector<4xf32>, %i: index) -> vector<4xf32> {
  // expected-error @+1 {{'warp.mma' op requires f16, bf16 or f32 (tf32) tiles, got 'f64'}}
  %d = warp.mma %a[%i, %i], %b[%i, %i], %acc, lane %i : memref<16x16xf64>, memref<8x16xf64>, vector<4xf32>
  return %d : vector<4xf32>
}

// -----

func.func @layout(%a: memref<16x16xf16, strided<[32, 1]>>, %b: memref<8x16xf16>, %acc: vector<4xf32>, %i: index) -> vector<4xf32> {
  // expected-error @+1 {{'warp.mma' op requires tiles with the identity layout}}
  %d = warp.mma %a[%i, %i], %b[%i, %i], %acc, lane %i : memref<16x16xf16, strided<[32, 1]>>, memref<8x16xf16>, vector<4xf32>
  return %d : vector<4xf32>
}

// -----

func.func @small_a(%a: memref<8x16xf16>, %b: memref<8x16xf16>, %acc: vector<4xf32>, %i: index) -> vector<4xf32> {
  // expected-error @+1 {{'warp.mma' op requires an A tile of at least 16 × 16, got 'memref<8x16xf16>'}}
  %d = warp.mma %a[%i, %i], %b[%i, %i], %acc, lane %i : memref<8x16xf16>, memref<8x16xf16>, vector<4xf32>
  return %d : vector<4xf32>
}

// -----

func.func @small_b(%a: memref<16x8xf32>, %b: memref<8x4xf32>, %acc: vector<4xf32>, %i: index) -> vector<4xf32> {
  // expected-error @+1 {{'warp.mma' op requires a B tile of at least 8 × 8, got 'memref<8x4xf32>'}}
  %d = warp.mma %a[%i, %i], %b[%i, %i], %acc, lane %i : memref<16x8xf32>, memref<8x4xf32>, vector<4xf32>
  return %d : vector<4xf32>
}

// -----

func.func @acc(%a: memref<16x16xf16>, %b: memref<8x16xf16>, %acc: vector<2xf32>, %i: index) -> vector<2xf32> {
  // expected-error @+1 {{'warp.mma' op operand #6 must be vector of 32-bit float values of length 4}}
  %d = warp.mma %a[%i, %i], %b[%i, %i], %acc, lane %i : memref<16x16xf16>, memref<8x16xf16>, vector<2xf32>
  return %d : vector<2xf32>
}
