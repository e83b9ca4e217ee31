# `cmake --install BUILD [--prefix DIR]`: the binary, the systemd unit and
# the man page, where a packager and systemd expect them under the prefix:
#   bin/cairn, lib/systemd/system/cairn.service, share/man/man1/cairn.1
# The unit's ExecStart names the installed binary (its path under the
# prefix given at configure time, CMAKE_INSTALL_PREFIX).
include(GNUInstallDirs)

install(TARGETS cairn RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(CAIRN_BINARY ${CMAKE_INSTALL_FULL_BINDIR}/cairn)
configure_file(${PROJECT_SOURCE_DIR}/contrib/systemd/cairn.service
               ${PROJECT_BINARY_DIR}/contrib/cairn.service @ONLY)
set(CAIRN_SYSTEMD_UNIT_DIR lib/systemd/system CACHE STRING
    "Where the systemd unit goes, relative to the install prefix")
install(FILES ${PROJECT_BINARY_DIR}/contrib/cairn.service
        DESTINATION ${CAIRN_SYSTEMD_UNIT_DIR})

install(FILES ${PROJECT_SOURCE_DIR}/docs/man/cairn.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
