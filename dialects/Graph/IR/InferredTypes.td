//===- InferredTypes.td - Result types from the shape rules -*- tablegen -*-===//
//
// Shared by the dialects whose ops infer their result types from
// lib/ShapeRules (InferTypeOpInterface, docs/compiler.md "Shape rules").
//
//===----------------------------------------------------------------------===//

#ifndef KILN_INFERRED_TYPES
#define KILN_INFERRED_TYPES

include "mlir/Interfaces/InferTypeOpInterface.td"

/// Mixed into an op with InferTypeOpAdaptorWithIsCompatible, whose
/// `extraClassDefinition` includes `compatibleTypes`: a result may be more
/// or less static than inferred, since a dynamic dim is compatible with any
/// size (kiln::compatibleTensorTypes).
class Kiln_CompatibleResultTypes {
  code compatibleTypes = [{
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                            ::mlir::TypeRange actual) {
      return ::kiln::compatibleTensorTypes(inferred, actual);
    }
  }];
}

#endif // KILN_INFERRED_TYPES
