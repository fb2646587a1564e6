//===- FFNOps.h - Kiln ffn dialect operations ---------------------*- C++ -*-===//
//
// Declares the ffn dialect's operations.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_FFN_IR_FFNOPS_H
#define KILN_DIALECTS_FFN_IR_FFNOPS_H

#include "dialects/FFN/IR/FFNDialect.h"
#include "dialects/Graph/IR/ShapeUtils.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/FFN/IR/FFNOps.h.inc"

#endif // KILN_DIALECTS_FFN_IR_FFNOPS_H
