// libpq, opened when first used. Only `attest collect` and the tests talk to PostgreSQL;
// linked at start-up, libpq and what it needs (Kerberos, LDAP, GnuTLS, SASL, ...) cost every
// command about 3 ms, and the push hooks start on every push (docs/hook.md, "Start-up").
// attest_pq_open() opens it (once) and says why it could not be; every attest_PQ... function
// calls the libpq function of the same name, and may be called only once it has been opened.
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include "/usr/include/postgresql/libpq-fe.h"
#endif
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>

static inline void *attest_pq_library(void) {
    static void *handle;
    void *h = __atomic_load_n(&handle, __ATOMIC_ACQUIRE);
    if (!h) {
        h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
        if (h) __atomic_store_n(&handle, h, __ATOMIC_RELEASE);
    }
    return h;
}

/// NULL once libpq is open and has every function the shim calls, else why not
/// (dlopen's reason, or the function it lacks): a missing one is never called.
static inline const char *attest_pq_open(void) {
    void *h = attest_pq_library();
    if (!h) {
        const char *why = dlerror();
        return why ? why : "libpq.so.5 could not be opened";
    }
    static const char *const used[] = {
        "PQconnectdb", "PQfinish", "PQstatus", "PQerrorMessage", "PQuser", "PQdb", "PQhost",
        "PQserverVersion", "PQexecParams", "PQprepare", "PQdescribePrepared",
        "PQresultStatus", "PQresultErrorMessage", "PQresultErrorField", "PQntuples",
        "PQnfields", "PQfname", "PQgetvalue", "PQgetisnull", "PQclear", "PQfreemem",
        "PQconninfoParse", "PQconninfoFree"
    };
    for (size_t k = 0; k < sizeof used / sizeof used[0]; k++) {
        if (!dlsym(h, used[k])) {
            static char missing[128];
            snprintf(missing, sizeof missing, "libpq.so.5 has no %s", used[k]);
            return missing;
        }
    }
    return NULL;
}

#define ATTEST_PQ_FN(ret, name, params) \
    static inline ret (*attest_pq_##name(void)) params { \
        static ret (*fn) params; \
        ret (*f) params = __atomic_load_n(&fn, __ATOMIC_ACQUIRE); \
        if (!f) { f = (ret (*) params)dlsym(attest_pq_library(), #name); __atomic_store_n(&fn, f, __ATOMIC_RELEASE); } \
        return f; \
    }
#define ATTEST_PQ(ret, name, params, args) \
    ATTEST_PQ_FN(ret, name, params) \
    static inline ret attest_##name params { return attest_pq_##name() args; }
#define ATTEST_PQ_VOID(name, params, args) \
    ATTEST_PQ_FN(void, name, params) \
    static inline void attest_##name params { attest_pq_##name() args; }

ATTEST_PQ(PGconn *, PQconnectdb, (const char *conninfo), (conninfo))
ATTEST_PQ_VOID(PQfinish, (PGconn *conn), (conn))
ATTEST_PQ(ConnStatusType, PQstatus, (const PGconn *conn), (conn))
ATTEST_PQ(char *, PQerrorMessage, (const PGconn *conn), (conn))
ATTEST_PQ(char *, PQuser, (const PGconn *conn), (conn))
ATTEST_PQ(char *, PQdb, (const PGconn *conn), (conn))
ATTEST_PQ(char *, PQhost, (const PGconn *conn), (conn))
ATTEST_PQ(int, PQserverVersion, (const PGconn *conn), (conn))
ATTEST_PQ(PGresult *, PQexecParams, (PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                                     const char *const *paramValues, const int *paramLengths, const int *paramFormats,
                                     int resultFormat),
          (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat))
ATTEST_PQ(PGresult *, PQprepare, (PGconn *conn, const char *stmtName, const char *query, int nParams, const Oid *paramTypes),
          (conn, stmtName, query, nParams, paramTypes))
ATTEST_PQ(PGresult *, PQdescribePrepared, (PGconn *conn, const char *stmt), (conn, stmt))
ATTEST_PQ(ExecStatusType, PQresultStatus, (const PGresult *res), (res))
ATTEST_PQ(char *, PQresultErrorMessage, (const PGresult *res), (res))
ATTEST_PQ(char *, PQresultErrorField, (const PGresult *res, int fieldcode), (res, fieldcode))
ATTEST_PQ(int, PQntuples, (const PGresult *res), (res))
ATTEST_PQ(int, PQnfields, (const PGresult *res), (res))
ATTEST_PQ(char *, PQfname, (const PGresult *res, int field_num), (res, field_num))
ATTEST_PQ(char *, PQgetvalue, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num))
ATTEST_PQ(int, PQgetisnull, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num))
ATTEST_PQ_VOID(PQclear, (PGresult *res), (res))
ATTEST_PQ_VOID(PQfreemem, (void *ptr), (ptr))
ATTEST_PQ(PQconninfoOption *, PQconninfoParse, (const char *conninfo, char **errmsg), (conninfo, errmsg))
ATTEST_PQ_VOID(PQconninfoFree, (PQconninfoOption *connOptions), (connOptions))
