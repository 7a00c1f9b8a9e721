# SPDX-License-Identifier: Apache-2.0
# `cmake --install BUILD --prefix P` lays out what containerd and the runtime look for:
#   P/bin/containerd-shim-cocoon-v2, cocoon, cocoon-kbs, cocoon-agent
#   P/share/cocoon/vmlinux, initrd.img, manifest.txt   (the guest, built from this build's agent)
#   P/etc/cocoon/config.toml                            (found relative to the binaries)
# The guest comes from guest/build-guest.sh, which downloads Debian packages once into a
# cache; it is not part of `all` (it needs the archive), so `install` builds it first.

install(TARGETS cocoon cocoon-kbs cocoon-agent containerd-shim-cocoon-v2 RUNTIME DESTINATION bin)
install(FILES "${CMAKE_SOURCE_DIR}/etc/config.toml" DESTINATION etc/cocoon)

set(COCOON_GUEST_DIR "${CMAKE_BINARY_DIR}/guest")
add_custom_command(
  OUTPUT "${COCOON_GUEST_DIR}/vmlinux" "${COCOON_GUEST_DIR}/initrd.img"
         "${COCOON_GUEST_DIR}/manifest.txt"
  COMMAND "${CMAKE_SOURCE_DIR}/guest/build-guest.sh" --agent "$<TARGET_FILE:cocoon-agent>"
          --with-crun --out "${COCOON_GUEST_DIR}"
  DEPENDS cocoon-agent "${CMAKE_SOURCE_DIR}/guest/build-guest.sh" "${CMAKE_SOURCE_DIR}/guest/init.sh"
  COMMENT "Building the guest kernel and initrd (guest/build-guest.sh)"
  VERBATIM)
add_custom_target(guest DEPENDS "${COCOON_GUEST_DIR}/vmlinux" "${COCOON_GUEST_DIR}/initrd.img")

install(CODE "
  execute_process(COMMAND \"${CMAKE_COMMAND}\" --build \"${CMAKE_BINARY_DIR}\" --target guest
                  RESULT_VARIABLE cocoon_guest_rc)
  if(NOT cocoon_guest_rc EQUAL 0)
    message(FATAL_ERROR \"building the guest failed (guest/build-guest.sh; see above)\")
  endif()")
install(FILES "${COCOON_GUEST_DIR}/vmlinux" "${COCOON_GUEST_DIR}/initrd.img"
              "${COCOON_GUEST_DIR}/manifest.txt"
        DESTINATION share/cocoon)
