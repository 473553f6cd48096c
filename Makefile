# atlorg: an Atlassian Cloud organization in SQL.  Built with PGXS.
EXTENSION = atlorg
MODULE_big = atlorg
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The current version's install script is assembled from one file per
# concern in sql/.  A released version's script is frozen, kept as shipped,
# and an upgrade script takes an installation from it to the next.
EXTVERSION = 1.2
DATA_built = atlorg--$(EXTVERSION).sql
DATA = atlorg--1.0.sql atlorg--1.0--1.1.sql atlorg--1.1.sql atlorg--1.1--1.2.sql
EXTENSION_SQL_PARTS = $(sort $(wildcard sql/*.sql))

PG_CONFIG ?= pg_config
# PostgreSQL's headers are C99-with-POSIX; _GNU_SOURCE keeps sigsetjmp & co
# declared under strict C11.  -Wno-unused-parameter and
# -Wno-missing-field-initializers: PostgreSQL's own headers trip them.
PG_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	-Wno-missing-field-initializers -Wno-sign-compare
ifeq ($(WERROR),1)
PG_CFLAGS += -Werror
endif
SHLIB_LINK = -lcurl -lcsv

# ASAN=1: build with AddressSanitizer and UndefinedBehaviorSanitizer, for
# test/memcheck.sh (which builds in a copy of the tree, installs into a copy
# of PostgreSQL and preloads gcc's libasan into the server).  Never install
# this build into a PostgreSQL that runs without that preload.
ifeq ($(ASAN),1)
PG_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -g
SHLIB_LINK += -fsanitize=address,undefined
endif

# No LLVM bitcode: JIT-inlining this module buys nothing and needs clang.
override with_llvm = no

# Rebuild objects when a header they include changes.
override autodepend = yes

# pg_regress against a running server (test/run.sh starts one, with the fake)
REGRESS_OPTS = --inputdir=test --outputdir=test
REGRESS = fdw users user_filters reads last_active jira keys sync sync_slices http_faults connections disable audit_durability lifecycle safety more_actions csv csv_chunks bulk directory access limits runs undo previews newcomer csv_lists csv_examples reasons guards \
	attack_escalation attack_audit attack_install attack_sweep

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

atlorg--$(EXTVERSION).sql: $(EXTENSION_SQL_PARTS)
	cat $^ > $@

