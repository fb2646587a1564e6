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

/// Mixed into an op whose result shapes are reified from its shape rule
/// (ReifyRankedShapedTypeOpInterface through kiln::reifyFromRule, with
/// Kiln_ReifiedByRuleTrait among its traits). The op declares
/// `shapeRuleDeclaration` and defines `shapeRule`, the one place where it
/// applies its rule: type inference or the verifier call it with dynamic
/// dims unknown, reification with their origins (kiln::OperandShapes).
class Kiln_ReifiedByRule<string result = "::kiln::shapes::ShapeResult"> {
  code shapeRuleDeclaration = "static " # result # [{ shapeRule(
        Adaptor adaptor, const ::kiln::OperandShapes &shapes = {});
  }];
  code reifiedShapes = [{
    ::llvm::LogicalResult $cppClass::reifyResultShapes(
        ::mlir::OpBuilder &builder, ::mlir::ReifiedRankedShapedTypeDims &dims) {
      return ::kiln::reifyFromRule(*this, builder, dims);
    }
  }];
}
defvar Kiln_ReifiedByRuleTrait =
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface>;

#endif // KILN_INFERRED_TYPES
