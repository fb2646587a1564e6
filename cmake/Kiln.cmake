# Helpers shared by Kiln's compiler libraries.
#
# Every compiler library and tool links the MLIR and LLVM shared libraries
# (libMLIR.so, libLLVM.so) rather than the static component archives: links
# take seconds instead of minutes, and all tools share one copy of each
# registry.

# kiln_add_library(name SOURCES... [DEPENDS tablegen targets] [LINK libs])
function(kiln_add_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_link_libraries(${name} PUBLIC ${ARG_LINK} MLIR LLVM)
  set_target_properties(${name} PROPERTIES CXX_VISIBILITY_PRESET default)
endfunction()

# kiln_add_dialect(Name [ENUMS]) — run mlir-tblgen over <Name>Dialect.td and
# <Name>Ops.td in the current IR/ folder, producing Kiln<Name>IncGen, and the
# dialect's markdown reference under docs/dialects via add_mlir_doc.
function(kiln_add_dialect name)
  cmake_parse_arguments(ARG "ENUMS" "" "" ${ARGN})
  string(TOLOWER ${name} ns)
  set(LLVM_TARGET_DEFINITIONS ${name}Ops.td)
  mlir_tablegen(${name}Ops.h.inc -gen-op-decls)
  mlir_tablegen(${name}Ops.cpp.inc -gen-op-defs)
  mlir_tablegen(${name}Dialect.h.inc -gen-dialect-decls -dialect=${ns})
  mlir_tablegen(${name}Dialect.cpp.inc -gen-dialect-defs -dialect=${ns})
  if(ARG_ENUMS)
    mlir_tablegen(${name}Enums.h.inc -gen-enum-decls)
    mlir_tablegen(${name}Enums.cpp.inc -gen-enum-defs)
    mlir_tablegen(${name}Attrs.h.inc -gen-attrdef-decls -attrdefs-dialect=${ns})
    mlir_tablegen(${name}Attrs.cpp.inc -gen-attrdef-defs -attrdefs-dialect=${ns})
  endif()
  add_public_tablegen_target(Kiln${name}IncGen)
  add_mlir_doc(${name}Ops ${name}Ops dialects/ -gen-dialect-doc -dialect=${ns})
endfunction()

# kiln_add_passes(Group) — generate Passes.h.inc from the current folder's
# Passes.td into Kiln<Group>PassIncGen.
function(kiln_add_passes group)
  set(LLVM_TARGET_DEFINITIONS Passes.td)
  mlir_tablegen(Passes.h.inc -gen-pass-decls -name ${group})
  add_public_tablegen_target(Kiln${group}PassIncGen)
  add_mlir_doc(Passes ${group}Passes passes/ -gen-pass-doc)
endfunction()
add_custom_target(kiln-doc ALL DEPENDS mlir-doc)
