//===- Passes.h - Kiln fusion passes ----------------------------*- C++ -*-===//

#ifndef KILN_PASSES_FUSION_PASSES_H
#define KILN_PASSES_FUSION_PASSES_H

#include "dialects/Attn/IR/AttnDialect.h"
#include "dialects/FFN/IR/FFNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace kiln {

#define GEN_PASS_DECL
#include "passes/Fusion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Fusion/Passes.h.inc"

} // namespace kiln

#endif // KILN_PASSES_FUSION_PASSES_H
