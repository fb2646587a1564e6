//===- PackWeights.h - GEMM weights packed at bind time ---------*- C++ -*-===//
//
// Plans which GEMM weights are packed into panels once, when a session binds
// its parameters, instead of on every call: each weight that is a parameter
// of the model function gets a panels argument (after the parameters) and
// an entry in the signature's "packed" list, and the module gets
// `@kiln_pack(params..., panels...)`, which the ABI's kiln_compiled_pack
// calls (docs/abi.md).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CONVERSION_TOLOOPS_PACKWEIGHTS_H
#define KILN_PASSES_CONVERSION_TOLOOPS_PACKWEIGHTS_H

#include "passes/Conversion/ToLoops/Gemm.h"
#include "passes/Conversion/ToLoops/Patterns.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace kiln {

/// Names of the functions whose parameters are packed: the model and its
/// generation entries (docs/compiler.md, "Generation").
inline constexpr llvm::StringLiteral kModelFunction = "kiln_main";
inline constexpr llvm::StringLiteral kPrefillFunction = "kiln_prefill";
inline constexpr llvm::StringLiteral kDecodeFunction = "kiln_decode";
/// Name of the generated packing function.
inline constexpr llvm::StringLiteral kPackFunction = "kiln_pack";

/// Adds the panels arguments to the model function and its generation
/// entries (still on tensors; each gets every packed buffer, in one order,
/// so that a session passes the same buffers to all), `@kiln_pack` to
/// `module` and the "packed" list to its kiln.signature, and fills `plan`.
/// A module without a signature (an MLIR test) packs nothing: every weight
/// is then packed per call.
mlir::LogicalResult planPackedWeights(mlir::ModuleOp module,
                                      const GemmTiling &tiling,
                                      PackedWeights &plan);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_PACKWEIGHTS_H
