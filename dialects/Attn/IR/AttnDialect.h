//===- AttnDialect.h - Kiln attn dialect ---------------------------*- C++ -*-===//
//
// Declares the attn dialect and its attributes.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_ATTN_IR_ATTNDIALECT_H
#define KILN_DIALECTS_ATTN_IR_ATTNDIALECT_H

#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialects/Attn/IR/AttnDialect.h.inc"
#include "mlir/IR/Attributes.h"
#include "dialects/Attn/IR/AttnEnums.h.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/Attn/IR/AttnAttrs.h.inc"

#endif // KILN_DIALECTS_ATTN_IR_ATTNDIALECT_H
