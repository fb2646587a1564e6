//===- Passes.h - Kiln's GPU (NVPTX) lowering passes ------------*- C++ -*-===//
//
// Declarations of the passes in passes/Conversion/ToGPU and their
// registration.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOGPU_PASSES_H
#define KILN_PASSES_CONVERSION_TOGPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace kiln {

#define GEN_PASS_DECL
#include "passes/Conversion/ToGPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Conversion/ToGPU/Passes.h.inc"

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOGPU_PASSES_H
