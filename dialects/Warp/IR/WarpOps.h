//===- WarpOps.h - Kiln warp dialect operations -----------------*- C++ -*-===//
//
// Declares the warp dialect's operations.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_WARP_IR_WARPOPS_H
#define KILN_DIALECTS_WARP_IR_WARPOPS_H

#include "dialects/Warp/IR/WarpDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/Warp/IR/WarpOps.h.inc"

#endif // KILN_DIALECTS_WARP_IR_WARPOPS_H
