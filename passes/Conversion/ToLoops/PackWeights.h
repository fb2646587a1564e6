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

#include "dialects/Graph/IR/GraphOps.h"
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

/// On a GEMM op: [operand, argument] pairs, each weight operand packed at
/// bind time and the argument of the op's function that holds its panels.
inline constexpr llvm::StringLiteral kPackedPanelsAttr = "kiln.packed_panels";

/// The function argument holding the packed panels of `op`'s operand
/// `operand`, or null when the weight is packed on every call.
mlir::Value packedPanels(mlir::Operation *op, unsigned operand);

/// `w` when `value` is `graph.transpose(w)` of a matrix ([1, 0]): a weight
/// given [in, out] (kiln-raise-linear), packed from w as it is.
mlir::Value transposedMatrix(mlir::Value value);

/// Whether `view`, a transpose, slice or split of a weight, is read only as
/// panels packed at bind time from its input (directly or through further
/// views): then it is never computed.
bool isComputedForPanelsOnly(mlir::Operation *view);

} // namespace kiln

#endif // KILN_PASSES_CONVERSION_TOLOOPS_PACKWEIGHTS_H
