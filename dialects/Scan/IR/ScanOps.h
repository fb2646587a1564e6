//===- ScanOps.h - Kiln scan dialect operations ---------------------*- C++ -*-===//
//
// Declares the scan dialect's operations.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_SCAN_IR_SCANOPS_H
#define KILN_DIALECTS_SCAN_IR_SCANOPS_H

#include "dialects/Graph/IR/ShapeUtils.h"
#include "dialects/Scan/IR/ScanDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/Scan/IR/ScanOps.h.inc"

#endif // KILN_DIALECTS_SCAN_IR_SCANOPS_H
