"""The first users of every fake org: fixed, seed-independent, documented.

SQL and pytest tests may refer to these by index, account id or email.  All
"N days ago" values are start_time - (N days + a few hours), so they never
cross a whole-day threshold during a test run.  Sites: "jira A"/"jira B" are
the org's two Jira sites, "conf A"/"conf B" its two Confluence sites (ARIs
in GET /__fake/info).  Domains acme.example / acme-labs.example are the
org's verified (managed) domains.

 idx account id / email                                   what it is
 --- --------------------------------------------------- ----------------------------------------
  0  5b10ac8d82e05b22cc7d4ef5                             org admin (platformRoles org-admin,
     mia.krystof@acme.example                              site-admin), managed invited, active, MFA
                                                          jira-software jira A 2 d, confluence conf A 1 d;
                                                          as site-admins and jira-admins grant, also
                                                          admin of jira-servicedesk and jira-core on
                                                          jira A, NEVER used (admin everywhere she has
                                                          access, all of it through groups)
  1  712020:978521a6-2367-4092-a7f6-7cc1b9043bdd          managed invited, active
     john.doe@acme.example                                jira-software jira A 200 d (inactive in Jira),
                                                          confluence conf A 5 d (active in Confluence)
  2  557057:4f9acfd2-6155-419b-8de5-5b5cf27a59a0          UNMANAGED (gmail.example), active
     lila.user@gmail.example                              jira-software jira A 400 d
  3  557057:0c3f5b6e-8a51-4d7e-9b7f-2f6f1a2d3c4e          managed, SCIM-synced (managementSource synced),
     sam.scim@acme.example                                active, jira-software jira A 120 d
  4  5c2e9a1b7d3f4e0a8b6c1d2e                             managed invited, already DEACTIVATED
     dora.deactivated@acme.example                        (accountStatus inactive), jira-software 500 d
  5  712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d          managed invited, active, jira-software jira A
     nora.never@acme-labs.example                         NEVER used (no lastActiveTimestamp)
  6  5d4c3b2a1f0e9d8c7b6a5f4e                             managed invited, SUSPENDED (membershipStatus
     sue.suspended@acme.example                           suspended), confluence conf A 30 d
  7  712020:2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e          managed invited, FOR_DELETION (accountStatus
     fred.fordeletion@acme.example                        inactive), jira-software jira A 300 d
  8  557057:3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f          managed invited, active, jira-servicedesk jira A
     jess.servicedesk@acme.example                        30 d, jira-core jira A 95 d, no jira-software
  9  5e6f7a8b9c0d1e2f3a4b5c6d                             managed invited, active, jira-software on BOTH
     tom.twosites@acme.example                            jira A 100 d and jira B 10 d (max = 10 d)
 10  712020:4d5e6f7a-8b9c-4d0e-9f1a-3b4c5d6e7f8a          managed invited, NOT_INVITED (membershipStatus
     nina.noinvite@acme-labs.example                      no_membership), no product access
 11  557057:5e6f7a8b-9c0d-4e1f-8a2b-4c5d6e7f8a9b          managed invited, active, jira-software jira A
     bob.boundary@acme.example                            90 d + 5 h  (older than 90 days)
 12  557057:6f7a8b9c-0d1e-4f2a-9b3c-5d6e7f8a9b0c          managed invited, active, jira-software jira A
     amy.almost@acme.example                              89 d + 20 h (NOT older than 90 days)

Every fixed user has accountType "atlassian" and emailVerified true except
index 2 (false).  Generated users start at index len(FIXED_USERS).

Access is derived (access.py): "products" below, with product_admin, is what
the user holds; its direct role assignments are what its groups do not
grant.  So user 1's jira A and conf A come only through jira-software-users
and confluence-users, user 9's jira A through jira-software-users and its
jira B directly, and user 8's through the two Jira product groups.
"""

# products: (product key, site kind index: 0 = site A, 1 = site B, days ago or None, hours)
FIXED_USERS = (
    dict(account_id="5b10ac8d82e05b22cc7d4ef5", name="Mia Krystof", nickname="Mia",
         email="mia.krystof@acme.example", claim="managed", source="invited", status="active",
         mfa=True, email_verified=True, added_days=1700, department="IT",
         job_title="IT Administrator", organization="Acme Corp", location="New York",
         time_zone="America/New_York",
         platform_roles=("atlassian/org-admin", "atlassian/site-admin"), product_admin=True,
         products=(("jira-software", 0, 2, 3), ("confluence", 0, 1, 4)),
         groups=("site-admins", "jira-software-users", "jira-admins", "confluence-users",
                 "confluence-admins", "acme-all-staff", "it-helpdesk")),
    dict(account_id="712020:978521a6-2367-4092-a7f6-7cc1b9043bdd", name="John Doe",
         nickname="Jonny", email="john.doe@acme.example", claim="managed", source="invited",
         status="active", mfa=True, email_verified=True, added_days=900,
         department="Human Resources", job_title="Senior Business Analyst",
         organization="Talent", location="New York", time_zone="America/New_York",
         platform_roles=(), product_admin=False,
         products=(("jira-software", 0, 200, 5), ("confluence", 0, 5, 6)),
         groups=("jira-software-users", "confluence-users", "acme-all-staff", "people-ops")),
    dict(account_id="557057:4f9acfd2-6155-419b-8de5-5b5cf27a59a0", name="Lila User",
         nickname="marshmallow", email="lila.user@gmail.example", claim="unmanaged", source=None,
         status="active", mfa=False, email_verified=False, added_days=700, department=None,
         job_title=None, organization=None, location=None, time_zone="America/Los_Angeles",
         platform_roles=(), product_admin=False,
         products=(("jira-software", 0, 400, 7),),
         groups=("jira-software-users", "contractors")),
    dict(account_id="557057:0c3f5b6e-8a51-4d7e-9b7f-2f6f1a2d3c4e", name="Sam Scim",
         nickname="Sam", email="sam.scim@acme.example", claim="managed", source="synced",
         status="active", mfa=True, email_verified=True, added_days=1200,
         department="Engineering", job_title="Software Engineer", organization="Acme Corp",
         location="Berlin", time_zone="Europe/Berlin", platform_roles=(), product_admin=False,
         products=(("jira-software", 0, 120, 8),),
         groups=("jira-software-users", "acme-all-staff", "engineering")),
    dict(account_id="5c2e9a1b7d3f4e0a8b6c1d2e", name="Dora Deactivated", nickname="Dora",
         email="dora.deactivated@acme.example", claim="managed", source="invited",
         status="deactivated", mfa=False, email_verified=True, added_days=1500,
         department="Sales", job_title="Account Executive", organization="Acme Corp",
         location="London", time_zone="Europe/London", platform_roles=(), product_admin=False,
         products=(("jira-software", 0, 500, 9),),
         groups=("jira-software-users", "acme-all-staff", "sales", "offboarding")),
    dict(account_id="712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", name="Nora Never",
         nickname="Nora", email="nora.never@acme-labs.example", claim="managed",
         source="invited", status="active", mfa=True, email_verified=True, added_days=60,
         department="Product", job_title="Product Manager", organization="Acme Labs",
         location="Toronto", time_zone="America/Toronto", platform_roles=(),
         product_admin=False, products=(("jira-software", 0, None, 0),),
         groups=("jira-software-users", "acme-all-staff", "product")),
    dict(account_id="5d4c3b2a1f0e9d8c7b6a5f4e", name="Sue Suspended", nickname="Sue",
         email="sue.suspended@acme.example", claim="managed", source="invited",
         status="suspended", mfa=True, email_verified=True, added_days=800,
         department="Marketing", job_title="Marketing Specialist", organization="Acme Corp",
         location="Austin", time_zone="America/Chicago", platform_roles=(), product_admin=False,
         products=(("confluence", 0, 30, 10),),
         groups=("confluence-users", "acme-all-staff", "marketing")),
    dict(account_id="712020:2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", name="Fred Fordeletion",
         nickname="Fred", email="fred.fordeletion@acme.example", claim="managed",
         source="invited", status="for_deletion", mfa=False, email_verified=True,
         added_days=1100, department="Finance", job_title="Financial Analyst",
         organization="Acme Corp", location="London", time_zone="Europe/London",
         platform_roles=(), product_admin=False, products=(("jira-software", 0, 300, 11),),
         groups=("jira-software-users", "acme-all-staff", "finance", "offboarding")),
    dict(account_id="557057:3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f", name="Jess Servicedesk",
         nickname="Jess", email="jess.servicedesk@acme.example", claim="managed",
         source="invited", status="active", mfa=True, email_verified=True, added_days=400,
         department="Customer Support", job_title="Support Engineer", organization="Acme Corp",
         location="Sydney", time_zone="Australia/Sydney", platform_roles=(), product_admin=False,
         products=(("jira-servicedesk", 0, 30, 12), ("jira-core", 0, 95, 13)),
         groups=("jira-servicemanagement-users", "jira-core-users", "acme-all-staff",
                 "customer-support")),
    dict(account_id="5e6f7a8b9c0d1e2f3a4b5c6d", name="Tom Twosites", nickname="Tom",
         email="tom.twosites@acme.example", claim="managed", source="invited", status="active",
         mfa=True, email_verified=True, added_days=1000, department="Engineering",
         job_title="Staff Engineer", organization="Acme Labs", location="Amsterdam",
         time_zone="Europe/Amsterdam", platform_roles=(), product_admin=False,
         products=(("jira-software", 0, 100, 14), ("jira-software", 1, 10, 15)),
         groups=("jira-software-users", "acme-all-staff", "engineering")),
    dict(account_id="712020:4d5e6f7a-8b9c-4d0e-9f1a-3b4c5d6e7f8a", name="Nina Noinvite",
         nickname="Nina", email="nina.noinvite@acme-labs.example", claim="managed",
         source="invited", status="not_invited", mfa=False, email_verified=True, added_days=30,
         department=None, job_title=None, organization=None, location=None, time_zone=None,
         platform_roles=(), product_admin=False, products=(), groups=()),
    dict(account_id="557057:5e6f7a8b-9c0d-4e1f-8a2b-4c5d6e7f8a9b", name="Bob Boundary",
         nickname="Bob", email="bob.boundary@acme.example", claim="managed", source="invited",
         status="active", mfa=True, email_verified=True, added_days=600,
         department="Engineering", job_title="QA Engineer", organization="Acme Corp",
         location="Warsaw", time_zone="Europe/Warsaw", platform_roles=(), product_admin=False,
         products=(("jira-software", 0, 90, 5),),
         groups=("jira-software-users", "acme-all-staff", "engineering")),
    dict(account_id="557057:6f7a8b9c-0d1e-4f2a-9b3c-5d6e7f8a9b0c", name="Amy Almost",
         nickname="Amy", email="amy.almost@acme.example", claim="managed", source="invited",
         status="active", mfa=True, email_verified=True, added_days=610,
         department="Engineering", job_title="Software Engineer", organization="Acme Corp",
         location="Warsaw", time_zone="Europe/Warsaw", platform_roles=(), product_admin=False,
         products=(("jira-software", 0, 89, 20),),
         groups=("jira-software-users", "acme-all-staff", "engineering")),
)
