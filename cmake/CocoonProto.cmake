# SPDX-License-Identifier: Apache-2.0
# cocoon_proto_library: compiles .proto files under proto/ with Debian's protoc into a
# static library that our libraries link (STYLE.md §3: generated code is its own target).
find_package(Protobuf 3.21 REQUIRED)

# cocoon_proto_library(name PROTOS proto/x/a.proto ... [DEPS other_proto_library ...])
# PROTOS are paths relative to the source root (imports are written the same way, e.g.
# `import "proto/ttrpc/status.proto";`). Code is generated into ${PROJECT_BINARY_DIR}/gen
# and included as "proto/x/a.pb.h". The generated code is not ours: it is compiled
# without our warning flags (and with warnings off), but with our sanitizers so that
# ASan/UBSan builds stay consistent.
function(cocoon_proto_library name)
  cmake_parse_arguments(ARG "" "" "PROTOS;DEPS" ${ARGN})
  set(gen_root ${PROJECT_BINARY_DIR}/gen)
  set(srcs "")
  foreach(proto IN LISTS ARG_PROTOS)
    string(REGEX REPLACE "\\.proto$" "" stem ${proto})
    set(cc ${gen_root}/${stem}.pb.cc)
    set(h ${gen_root}/${stem}.pb.h)
    get_filename_component(out_dir ${cc} DIRECTORY)
    add_custom_command(
      OUTPUT ${cc} ${h}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
      COMMAND protobuf::protoc --proto_path=${PROJECT_SOURCE_DIR}
              --proto_path=${Protobuf_INCLUDE_DIRS} --cpp_out=${gen_root} ${proto}
      DEPENDS ${PROJECT_SOURCE_DIR}/${proto} protobuf::protoc
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
      COMMENT "protoc ${proto}"
      VERBATIM)
    list(APPEND srcs ${cc})
  endforeach()
  add_library(${name} STATIC ${srcs})
  # SYSTEM: warnings inside generated headers are not reported in the targets using them.
  target_include_directories(${name} SYSTEM PUBLIC ${gen_root})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  target_compile_options(${name} PRIVATE -w ${COCOON_SANITIZE_FLAGS})
endfunction()
