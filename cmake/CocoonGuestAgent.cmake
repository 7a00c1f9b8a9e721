# SPDX-License-Identifier: Apache-2.0
# COCOON_GUEST_AGENT_STATIC: a lean cocoon-agent for the guest, linked against Debian's
# static archives so that it maps and binds far less at start (bench/agent/README.md).
#
# With the option ON (it is OFF by default, so the dev build and its tests are unchanged):
#  - the third-party imported targets of this build link the Debian static archive where one
#    exists (libarchive, protobuf, zstd, zlib, gpgme, yaml-cpp and what those need);
#    OpenSSL stays shared. This applies to every binary of the build; they keep working as
#    before.
#  - fmt, spdlog and toml++ are compiled in header-only (cmake/CocoonDependencies.cmake).
#  - libcurl, ISA-L, libcryptsetup and tpm2-tss are not linked at all, in any build: the
#    code that needs them loads them at first use (common/shared_library.h), so the agent
#    starts and idles without them and their own libraries (gnutls, Kerberos, LDAP,
#    libdevmapper ...).
#  - cocoon-agent links libstdc++ and libgcc statically: with the above, nothing else in
#    the idle agent loads libstdc++.so, so only the parts the agent uses are mapped
#    (−1.3 MiB of Rss; while libcryptsetup, spdlog and fmt still loaded libstdc++.so, a
#    static copy measured more Rss, not less). The libraries loaded later are C.
#  - cocoon-agent additionally gets --gc-sections and --as-needed (drops the .so files
#    libarchive's pkg-config lists but reading tar never uses: libxml2, ICU, lz4, acl ...)
#    and packed relative relocations (below).
# guest/build-guest.sh copies whatever .so files ldd still lists into the initrd.
if(NOT COCOON_GUEST_AGENT_STATIC)
  return()
endif()

set(_cocoon_libdir "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}")

# Replaces what an imported target links with `items`: libNAME.a from the multiarch
# directory when Debian ships it, else the shared library (NAME:so forces that): -lNAME, or
# the runtime libNAME.so.N by path when no -dev package provides libNAME.so. glibc's own
# libraries are always -lNAME: the binary stays dynamic on glibc.
function(_cocoon_link_static imported)
  set(resolved "")
  foreach(item IN LISTS ARGN)
    string(REPLACE ":so" "" name "${item}")
    file(GLOB runtime "${_cocoon_libdir}/lib${name}.so.[0-9]*"
         "${_cocoon_libdir}/lib${name}-[0-9]*.so.[0-9]*")  # libldap-2.5.so.0
    list(SORT runtime)
    if(EXISTS "${_cocoon_libdir}/lib${name}.a" AND NOT item MATCHES ":so$"
       AND NOT name MATCHES "^(m|dl|pthread|rt)$")
      list(APPEND resolved "${_cocoon_libdir}/lib${name}.a")
    elseif(EXISTS "${_cocoon_libdir}/lib${name}.so" OR name MATCHES "^(m|dl|pthread|rt)$")
      list(APPEND resolved "-l${name}")
    elseif(runtime)
      list(GET runtime 0 first_runtime)
      list(APPEND resolved "${first_runtime}")
    endif()  # else not installed (libacl, liblz4): the link fails if a member needs it
  endforeach()
  get_target_property(type ${imported} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    set_property(TARGET ${imported} PROPERTY INTERFACE_LINK_LIBRARIES "${resolved}")
  else()
    # find_package targets (OpenSSL, protobuf) name one file; the rest become link items.
    list(POP_FRONT resolved first)
    foreach(prop IMPORTED_LOCATION IMPORTED_LOCATION_RELEASE IMPORTED_LOCATION_DEBUG)
      get_target_property(old ${imported} ${prop})
      if(old)
        set_property(TARGET ${imported} PROPERTY ${prop} "${first}")
      endif()
    endforeach()
    set_property(TARGET ${imported} APPEND PROPERTY INTERFACE_LINK_LIBRARIES ${resolved})
  endif()
endfunction()

# Link lists: `pkg-config --static --libs` of each package (Debian 12).
_cocoon_link_static(protobuf::libprotobuf protobuf z pthread)
_cocoon_link_static(PkgConfig::ZSTD zstd)
_cocoon_link_static(PkgConfig::ZLIB z)
_cocoon_link_static(PkgConfig::LIBARCHIVE archive nettle acl lzma zstd lz4 bz2 z xml2 icuuc
                    icudata m)
_cocoon_link_static(PkgConfig::GPGME gpgme assuan gpg-error)
_cocoon_link_static(PkgConfig::YAML_CPP yaml-cpp)

# pack-relative-relocs (DT_RELR; binutils >= 2.38, glibc >= 2.36): the loader reads 2 KiB of
# relocation table instead of 249 KiB at every start (−0.2 MiB of Rss, faster start).
target_link_options(cocoon-agent PRIVATE -Wl,--gc-sections -Wl,--as-needed -static-libstdc++
                    -static-libgcc -Wl,-z,pack-relative-relocs)
