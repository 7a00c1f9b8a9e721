#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Prints one bcrypt htpasswd line ("user:$2b$..."), as docker-registry's htpasswd auth
# wants, without apache2-utils: glibc's libxcrypt does bcrypt through python's crypt.
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

user, password = sys.argv[1], sys.argv[2]
print(f"{user}:{crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))}")
