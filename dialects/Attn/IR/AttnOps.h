//===- AttnOps.h - Kiln attn dialect operations ---------------------*- C++ -*-===//
//
// Declares the attn dialect's operations.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_ATTN_IR_ATTNOPS_H
#define KILN_DIALECTS_ATTN_IR_ATTNOPS_H

#include "dialects/Attn/IR/AttnDialect.h"
#include "dialects/Graph/IR/ShapeUtils.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/Attn/IR/AttnOps.h.inc"

#endif // KILN_DIALECTS_ATTN_IR_ATTNOPS_H
