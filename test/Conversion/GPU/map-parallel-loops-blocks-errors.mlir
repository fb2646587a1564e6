// RUN: kiln-opt %s --split-input-file --kiln-gpu-map-parallel-loops --verify-diagnostics

// A block loop is mapped only in the form that BlockGemm.cpp makes: block
// memory allocated in its body, phases with constant trip counts of at most
// 1024 threads, block code without effects (it would run once per thread),
// phases only at the top of its body or in scf.for loops without results,
// and private buffers [threads, ...] read through the slice of each thread.

func.func @no_phases(%out: memref<4xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @below {{'scf.parallel' op is a block loop without thread loops}}
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    %tile = memref.alloca() : memref<4xf32, #gpu.address_space<workgroup>>
    scf.reduce
  }
  return
}

// -----

func.func @dynamic_phase(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    %tile = memref.alloca() : memref<4xf32, #gpu.address_space<workgroup>>
    // expected-error @below {{'scf.parallel' op in a block loop needs a constant trip count between 1 and 1024 (the block's threads)}}
    scf.parallel (%t) = (%c0) to (%n) step (%c1) {
      memref.store %zero, %tile[%c0] : memref<4xf32, #gpu.address_space<workgroup>>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

func.func @block_store(%out: memref<4xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    %tile = memref.alloca() : memref<4xf32, #gpu.address_space<workgroup>>
    // expected-error @below {{'memref.store' op has memory effects outside the thread loops of a block loop}}
    memref.store %zero, %out[%c0] : memref<4xf32>
    scf.parallel (%t) = (%c0) to (%c4) step (%c1) {
      memref.store %zero, %tile[%t] : memref<4xf32, #gpu.address_space<workgroup>>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

func.func @phase_in_if(%n: index, %flag: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    %tile = memref.alloca() : memref<4xf32, #gpu.address_space<workgroup>>
    // expected-error @below {{'scf.if' op holds thread loops of a block loop; only scf.for may}}
    scf.if %flag {
      scf.parallel (%t) = (%c0) to (%c4) step (%c1) {
        memref.store %zero, %tile[%t] : memref<4xf32, #gpu.address_space<workgroup>>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}

// -----

func.func @loop_with_results(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    %tile = memref.alloca() : memref<4xf32, #gpu.address_space<workgroup>>
    // expected-error @below {{'scf.for' op around thread loops carries values, which is not mapped}}
    %r = scf.for %k = %c0 to %n step %c1 iter_args(%acc = %zero) -> f32 {
      scf.parallel (%t) = (%c0) to (%c4) step (%c1) {
        memref.store %acc, %tile[%t] : memref<4xf32, #gpu.address_space<workgroup>>
        scf.reduce
      }
      scf.yield %acc : f32
    }
    scf.reduce
  }
  return
}

// -----

func.func @private_shape(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    // expected-error @below {{'memref.alloca' op of private memory must have a static shape led by the block's 4 threads}}
    %acc = memref.alloca() : memref<8x2xf32, #gpu.address_space<private>>
    scf.parallel (%t) = (%c0) to (%c4) step (%c1) {
      memref.store %zero, %acc[%t, %c0] : memref<8x2xf32, #gpu.address_space<private>>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

func.func @private_without_slice(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    %acc = memref.alloca() : memref<4x2xf32, #gpu.address_space<private>>
    scf.parallel (%t) = (%c0) to (%c4) step (%c1) {
      // expected-error @below {{'memref.store' op uses a private buffer other than as the slice of its thread in a 1-D thread loop}}
      memref.store %zero, %acc[%t, %c0] : memref<4x2xf32, #gpu.address_space<private>>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

func.func @global_memory(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    %tile = memref.alloca() : memref<4xf32, #gpu.address_space<workgroup>>
    // expected-error @below {{'memref.alloca' op allocates global memory in a block loop}}
    %far = memref.alloca() : memref<4xf32, #gpu.address_space<global>>
    scf.reduce
  }
  return
}
