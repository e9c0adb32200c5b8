// Generated from the Reins OpenAPI document by openapi-typescript: do not edit.
// Regenerate: pnpm --filter @reins/server generate:api-types
export interface paths {
    "/api/v1/transactions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List transactions with filters (review=open: the review queue) and pagination */
        get: operations["listTransactions"];
        put?: never;
        /** Record a transaction: evaluate the policy, record it, answer 202 or 403 */
        post: operations["createTransaction"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/transactions/bulk": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Record up to 1,000 transactions in order (each sees the ones before it); one result per item */
        post: operations["createTransactionsBulk"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/transactions/{id}/settle": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Settle a reservation: the actual cost replaces the hold in every window */
        post: operations["settleTransaction"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/transactions/{id}/void": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Void a reservation: its hold is released */
        post: operations["voidTransaction"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/transactions/{id}/review": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve or reject a flagged transaction (once: 409 NOT_FLAGGED / ALREADY_REVIEWED otherwise) */
        post: operations["reviewTransaction"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/transactions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get one transaction */
        get: operations["getTransaction"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/transactions/{id}/trace": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The evaluation trace of a transaction */
        get: operations["getTransactionTrace"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/policy-rules/evaluate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Dry run: the decision a transaction would get now; records nothing */
        post: operations["evaluatePolicy"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/policy-rules/backtest": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a backtest: replay a draft rule set (either dialect) over a past period of recorded transactions */
        post: operations["startBacktest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/policy-rules/backtest/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A backtest: status, progress and, when done, what the draft rules would have done */
        get: operations["getBacktest"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/policy-rules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List policy rules (filters enabled, action, vendor, waiting), in evaluation order, with the budgets each waits for */
        get: operations["listPolicyRules"];
        put?: never;
        /** Create a policy rule (docs dialect) */
        post: operations["createPolicyRule"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/policy-rules/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a policy rule (docs dialect) */
        get: operations["getPolicyRule"];
        /** Partially update a policy rule (docs dialect) */
        put: operations["updatePolicyRule"];
        post?: never;
        /** Delete a policy rule */
        delete: operations["deletePolicyRule"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/policy-rules/{id}/hits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A rule's hits over time: the transactions it decided per day (the org's time zone), with their amounts */
        get: operations["getPolicyRuleHits"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List rules (typed dialect) */
        get: operations["listRules"];
        put?: never;
        /** Create a rule (typed dialect) */
        post: operations["createRule"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rules/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a rule (typed dialect) */
        get: operations["getRule"];
        /** Partially update a rule (typed dialect) */
        put: operations["updateRule"];
        post?: never;
        /** Delete a rule (typed dialect): 204 */
        delete: operations["deleteRule"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List API keys (masked) */
        get: operations["listApiKeys"];
        put?: never;
        /** Create an API key: the key is shown once */
        post: operations["createApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API key */
        delete: operations["revokeApiKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/agents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List agents (filter vendor), oldest first */
        get: operations["listAgents"];
        put?: never;
        /** Register an agent with its monthly budget and metadata */
        post: operations["createAgent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/agents/{agentId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get an agent */
        get: operations["getAgent"];
        /** Partially update an agent (name, description, vendor, monthlyBudgetCents, metadata) */
        put: operations["updateAgent"];
        post?: never;
        /** Delete an agent (its past transactions stay recorded) */
        delete: operations["deleteAgent"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/org": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's organization: name, time zone, default action, budgets per period */
        get: operations["getOrganization"];
        /** Partially update the caller's organization (name, timeZone, defaultAction, <period>BudgetCents; null clears a budget) */
        put: operations["updateOrganization"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/budgets/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the organization, each team, project and agent has spent in the current hourly, daily, weekly and monthly windows */
        get: operations["getBudgetUsage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/budgets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the budgets of user roles, teams and projects (filter kind) */
        get: operations["listBudgets"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/budgets/{kind}/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get the budget of a role, team or project (kind: roles, teams, projects) */
        get: operations["getBudget"];
        /** Set the budget of a role, team or project per period (<period>BudgetCents; null clears one) */
        put: operations["putBudget"];
        post?: never;
        /** Remove the budget of a role, team or project */
        delete: operations["deleteBudget"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/vendors": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The six vendors with this organization’s settings (enabled, requests per minute) */
        get: operations["listVendors"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/vendors/{vendor}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One vendor with this organization’s settings */
        get: operations["getVendor"];
        /** Enable or disable a vendor, set its requests-per-minute limit (null = unlimited) */
        put: operations["updateVendor"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/vendors/{vendor}/prices": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The vendor’s model price table at an instant, with the overrides in force then */
        get: operations["getVendorPrices"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/vendors/{vendor}/price-overrides": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This organization’s price overrides for the vendor, past, current and future */
        get: operations["listPriceOverrides"];
        put?: never;
        /** Override a model’s price (exact id or * glob) from effectiveFrom to effectiveTo */
        post: operations["createPriceOverride"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/vendors/{vendor}/price-overrides/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete a price override (transactions already priced by it keep their cost) */
        delete: operations["deletePriceOverride"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit-log": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List audit events, newest first (filters action, entityType, startDate, endDate; cursor pagination) */
        get: operations["listAuditEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit-log/csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Export the filtered audit log as CSV (streamed; id,eventType,occurredAt,actor,entityType,entityId,vendor,action) */
        get: operations["exportAuditCsv"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit-log/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Seal pending events, then verify the organization's audit hash chain from the last verified checkpoint */
        get: operations["verifyAuditLog"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit-log/verifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a full verification of the audit hash chain from its start (a background job; poll it) */
        post: operations["startAuditVerification"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit-log/verifications/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A full verification of the audit hash chain: status, progress and, when done, the result */
        get: operations["getAuditVerification"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/policy-alerts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List policy alerts, newest first (filters read, ruleId; cursor pagination) */
        get: operations["listPolicyAlerts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/policy-alerts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get one policy alert */
        get: operations["getPolicyAlert"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/policy-alerts/{id}/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Mark a policy alert read (idempotent) */
        put: operations["markPolicyAlertRead"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/analytics/summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Spend of a period (or days) by vendor, agent, model and user, with counts */
        get: operations["getAnalyticsSummary"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/analytics/forecast": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** End-of-period spend projected at the burn rate so far, against the budget */
        get: operations["getAnalyticsForecast"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/analytics/anomalies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Spend and request-rate spikes per agent against the agent's own history */
        get: operations["getAnalyticsAnomalies"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/notification-channels": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List notification channels (secrets masked) */
        get: operations["listNotificationChannels"];
        put?: never;
        /** Create a notification channel (a webhook secret is shown once) */
        post: operations["createNotificationChannel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/notification-channels/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a notification channel (secrets masked) */
        get: operations["getNotificationChannel"];
        /** Partially update a notification channel; rotateSecret shows the new secret once */
        put: operations["updateNotificationChannel"];
        post?: never;
        /** Delete a notification channel that no rule names */
        delete: operations["deleteNotificationChannel"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/notification-channels/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a test notification through a channel (delivered by the worker; follow it in deliveries) */
        post: operations["testNotificationChannel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/notification-channels/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A channel's latest deliveries (alerts' and tests'), newest first, with their status */
        get: operations["listChannelDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sdk/state": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Everything local evaluation needs, as of one policy version: rules, org settings, agent budgets, vendors, price overrides and the current window totals (≤ 10,000, by key) */
        get: operations["getSdkState"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness and database reachability */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This OpenAPI document */
        get: operations["getOpenApiDocument"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/docs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The API reference as a web page, rendered from this document */
        get: operations["getApiDocs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sdk/{file}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The one-file JavaScript SDK (reins.js: CommonJS, reins.mjs: ESM) */
        get: operations["getSdkFile"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign in to the dashboard with an email and password, or with an API key */
        post: operations["signIn"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/link": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Redeem a one-time sign-in link (first admin, invitation, reset) and set a password */
        post: operations["redeemSignInLink"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's session: user, organization, permissions, CSRF token */
        get: operations["getSession"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign out: ends the session and clears its cookie (done even when it has ended) */
        post: operations["signOut"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change the signed-in user's password */
        post: operations["changePassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description The decision and the window figures of the rule that took it */
        AdmittedPolicyResult: {
            /** @enum {string} */
            action: "pass" | "warn" | "flag" | "block" | "log" | "notify";
            ruleId: string | null;
            ruleName: string | null;
            message: string;
            details: components["schemas"]["BlockDetails"];
        };
        Agent: {
            agentId: string;
            name: string;
            description: string | null;
            vendor: string | null;
            monthlyBudgetCents: number | null;
            metadata: {
                [key: string]: unknown;
            };
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
        };
        ApiKey: {
            id: string;
            name: string;
            /** @description rk_<env>_****<last4> */
            keyMasked: string;
            /** Format: date-time */
            createdAt: string;
            lastUsedAt: string | null;
            isActive: boolean;
            revokedAt: string | null;
            permissions: string[];
        };
        AuditEvent: {
            id: string;
            eventType: string;
            /** Format: date-time */
            occurredAt: string;
            actor: string;
            entityType: string;
            entityId: string;
            metadata: {
                [key: string]: unknown;
            };
        };
        AuditVerification: {
            id: string;
            /** @enum {string} */
            status: "queued" | "running" | "done" | "failed";
            progress: {
                checked: number;
                total: number | null;
                pct: number | null;
            };
            result: {
                valid: boolean;
                checked: number;
                headSeq: number;
                from: number;
                firstBrokenLink: {
                    seq: number;
                    eventId: string | null;
                    reason: string;
                } | null;
                checkpoint: {
                    seq: number;
                    hash: string;
                    /** Format: date-time */
                    verifiedAt: string;
                } | null;
            } | null;
            error: string | null;
            /** Format: date-time */
            createdAt: string;
            startedAt: string | null;
            finishedAt: string | null;
        };
        Backtest: {
            id: string;
            /** @enum {string} */
            status: "queued" | "running" | "done" | "failed";
            /** Format: date-time */
            startDate: string;
            /** Format: date-time */
            endDate: string;
            ruleCount: number;
            progress: {
                processed: number;
                total: number | null;
                pct: number | null;
            };
            result: ({
                /** Format: date-time */
                periodStart: string;
                /** Format: date-time */
                periodEnd: string;
                /** Format: date-time */
                replayedFrom: string;
                transactions: number;
                spendCents: number;
                warmupTransactions: number;
                rules: {
                    [key: string]: unknown;
                }[];
                wouldHave: {
                    [key: string]: {
                        transactions: number;
                        spendCents: number;
                    } & {
                        [key: string]: unknown;
                    };
                };
                actually: {
                    [key: string]: {
                        transactions: number;
                        spendCents: number;
                    } & {
                        [key: string]: unknown;
                    };
                };
                difference: {
                    newlyBlocked: {
                        transactions: number;
                        spendCents: number;
                        examples: string[];
                    } & {
                        [key: string]: unknown;
                    };
                    newlyAdmitted: {
                        transactions: number;
                        spendCents: number;
                        examples: string[];
                    } & {
                        [key: string]: unknown;
                    };
                    actionChanged: {
                        transactions: number;
                        spendCents: number;
                        examples: string[];
                    } & {
                        [key: string]: unknown;
                    };
                    preventedSpendCents: number;
                    addedSpendCents: number;
                } & {
                    [key: string]: unknown;
                };
            } & {
                [key: string]: unknown;
            }) | null;
            error: string | null;
            /** Format: date-time */
            createdAt: string;
            startedAt: string | null;
            finishedAt: string | null;
        };
        /** @description The window figures of the deciding rule: its limit, the window's total including this transaction, when the window resets */
        BlockDetails: {
            limit: number | null;
            current: number | null;
            timeWindow: string | null;
            resetsAt?: string | null;
            unit?: string | null;
            ruleId?: string | null;
        } & {
            [key: string]: unknown;
        };
        /** @description The budget of a user role, team or project, per period */
        Budget: {
            /** @enum {string} */
            kind: "role" | "team" | "project";
            id: string;
            hourlyBudgetCents: number | null;
            dailyBudgetCents: number | null;
            weeklyBudgetCents: number | null;
            monthlyBudgetCents: number | null;
            createdAt: string | null;
            updatedAt: string | null;
        };
        /** @description A notification sent (or being sent) through a channel */
        Delivery: {
            id: string;
            channelId: string;
            /** @enum {string} */
            status: "pending" | "delivered" | "failed";
            attempts: number;
            lastError: string | null;
            deliveredAt: string | null;
            nextAttemptAt: string | null;
        };
        EvaluatedRule: {
            ruleId: string;
            ruleName: string;
            matched: boolean;
            reason: string;
            reached: boolean;
            decisive: boolean;
            priority: number;
            /** @enum {string} */
            action: "pass" | "warn" | "flag" | "block" | "log" | "notify";
            /** @enum {string} */
            mode: "enforce" | "shadow";
            /** @description The window figures the rule compared */
            figures?: {
                [key: string]: unknown;
            };
        };
        /** @description The API key lacks the permission the route needs */
        ForbiddenError: {
            /** @constant */
            success: false;
            message: string;
            requestId?: string;
            /** @constant */
            code: "FORBIDDEN";
            /** @description The permission the API key lacks */
            requiredPermission?: string;
            /**
             * @description A dashboard session request refused as cross-site
             * @constant
             */
            reason?: "CSRF_FAILED";
        } & {
            [key: string]: unknown;
        };
        /** @description Reins server error; `requestId` names the request in the server log */
        InternalError: {
            /** @constant */
            success: false;
            message: string;
            requestId?: string;
            /** @constant */
            code: "INTERNAL_ERROR";
        } & {
            [key: string]: unknown;
        };
        /** @description No such object in the API key's organization (another organization's object is not found) */
        NotFoundError: {
            /** @constant */
            success: false;
            message: string;
            requestId?: string;
            /** @constant */
            code: "NOT_FOUND";
        } & {
            [key: string]: unknown;
        };
        NotificationChannel: {
            id: string;
            name: string;
            enabled: boolean;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            /** @constant */
            type: "webhook";
            url: string;
            /** @description The HMAC signing secret: only in the answer that set it */
            secret?: string;
            secretMasked: string;
        } | {
            id: string;
            name: string;
            enabled: boolean;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            /** @constant */
            type: "slack";
            urlMasked: string;
        } | {
            id: string;
            name: string;
            enabled: boolean;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            /** @constant */
            type: "email";
            addresses: string[];
        };
        Organization: {
            id: string;
            name: string;
            timeZone: string;
            /** @enum {string} */
            defaultAction: "pass" | "block";
            hourlyBudgetCents: number | null;
            dailyBudgetCents: number | null;
            weeklyBudgetCents: number | null;
            monthlyBudgetCents: number | null;
            policyVersion: number;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
        };
        /** @description The request body exceeds the route's limit */
        PayloadTooLargeError: {
            /** @constant */
            success: false;
            message: string;
            requestId?: string;
            /** @constant */
            code: "PAYLOAD_TOO_LARGE";
        } & {
            [key: string]: unknown;
        };
        PolicyAlert: {
            id: string;
            ruleId: string | null;
            ruleName: string | null;
            action: string;
            message: string;
            transactionId: string | null;
            agentId: string | null;
            groupValue: string | null;
            timeWindow: string | null;
            windowStart: string | null;
            thresholdPct: number | null;
            limit: number | null;
            current: number | null;
            unit: string | null;
            read: boolean;
            readAt: string | null;
            /** Format: date-time */
            createdAt: string;
            deliveries: components["schemas"]["Delivery"][];
        };
        /** @description The decision: the action and the rule that took it */
        PolicyResult: {
            /** @enum {string} */
            action: "pass" | "warn" | "flag" | "block" | "log" | "notify";
            ruleId: string | null;
            ruleName: string | null;
            message: string;
        };
        /** @description A policy rule (docs dialect) */
        PolicyRule: {
            id: string;
            name: string;
            description: string | null;
            enabled: boolean;
            priority: number;
            /** @enum {string} */
            mode: "enforce" | "shadow";
            /** @enum {string} */
            type: "budget" | "model_filter" | "user_limit" | "org_policy" | "custom";
            /** @enum {string} */
            scope: "org" | "user" | "team" | "project";
            scopeId: string | null;
            conditions: {
                vendors?: string[];
                models?: string[];
                excludeModels?: string[];
                agentIds?: string[];
                userIds?: string[];
                userRoles?: string[];
                teamIds?: string[];
                projectIds?: string[];
                amountCents?: {
                    min?: number;
                    max?: number;
                };
                /** @enum {string} */
                timeWindow?: "hourly" | "daily" | "weekly" | "monthly";
                schedule?: {
                    daysOfWeek?: number[];
                    hours?: string[];
                };
                forecastPct?: number;
                unknownModel?: boolean;
                requireProjectId?: boolean;
            } & {
                [key: string]: unknown;
            };
            /** @enum {string} */
            action: "pass" | "warn" | "flag" | "block" | "log" | "notify";
            actionConfig: {
                message?: string;
                redirectUrl?: string;
                channels?: string[];
                metric?: string;
                thresholdPct?: number;
                /** @enum {string} */
                per?: "org" | "agent" | "user" | "team" | "project" | "vendor" | "model";
                limitCents?: number;
                limitTokens?: number;
                maxTransactions?: number;
            } & {
                [key: string]: unknown;
            };
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            warnings: components["schemas"]["RuleWarning"][];
        };
        /** @description A policy rule blocked the transaction */
        PolicyViolationError: {
            /** @constant */
            success: false;
            message: string;
            requestId?: string;
            /** @constant */
            code: "POLICY_VIOLATION";
            /** @description The blocked transaction (recorded with action block) */
            id: string;
            policyResult: components["schemas"]["PolicyResult"];
            details: components["schemas"]["BlockDetails"];
        } & {
            [key: string]: unknown;
        };
        PriceOverride: {
            id: string;
            vendor: string;
            model: string;
            inputPerMtokUsd: number | null;
            outputPerMtokUsd: number | null;
            cacheReadPerMtokUsd: number | null;
            cacheWritePerMtokUsd: number | null;
            perRequestUsd: number | null;
            /** Format: date-time */
            effectiveFrom: string;
            effectiveTo: string | null;
            /** Format: date-time */
            createdAt: string;
        };
        /** @description Too many requests */
        RateLimitedError: {
            /** @constant */
            success: false;
            message: string;
            requestId?: string;
            /** @constant */
            code: "RATE_LIMITED";
            /** @description Seconds to wait (also in the Retry-After header) */
            retryAfter: number;
            /** @description The vendor whose per-minute limit was reached */
            vendor?: string;
        } & {
            [key: string]: unknown;
        };
        /** @description A flagged transaction's review */
        Review: {
            /** @enum {string} */
            state: "open" | "approved" | "rejected";
            reviewedBy: string | null;
            reviewedAt: string | null;
            note: string | null;
        };
        /** @description A budget the rule waits for before it can ever match */
        RuleWarning: {
            /** @enum {string} */
            code: "BUDGET_MISSING" | "LIMIT_MISSING";
            /** @enum {string} */
            kind: "org" | "agent" | "role" | "team" | "project" | "limit";
            id: string | null;
            /** @enum {string} */
            period: "hourly" | "daily" | "weekly" | "monthly";
            message: string;
        };
        /** @description The database is unavailable; retry */
        ServiceUnavailableError: {
            /** @constant */
            success: false;
            message: string;
            requestId?: string;
            /** @constant */
            code: "SERVICE_UNAVAILABLE";
            retryAfter?: number;
        } & {
            [key: string]: unknown;
        };
        Session: {
            /** @description The signed-in user; null for a session opened with an API key */
            user: {
                id: string;
                email: string;
                name: string | null;
                /** @enum {string} */
                role: "admin" | "editor" | "viewer";
            } | null;
            keyId: string | null;
            orgId: string;
            orgName: string;
            permissions: string[];
            /** @description Send as x-reins-csrf on every state-changing request ('' with a bearer key) */
            csrfToken: string;
            /** @description When the session ends unless used; null for a key */
            expiresAt: string | null;
        };
        StoredPolicyResult: {
            /** @enum {string} */
            action: "pass" | "warn" | "flag" | "block" | "log" | "notify";
            ruleId: string | null;
            ruleName: string | null;
            message: string;
            details?: components["schemas"]["BlockDetails"];
            shadow?: {
                [key: string]: unknown;
            }[];
        } & {
            [key: string]: unknown;
        };
        SubmittedTransaction: {
            /** @constant */
            success: true;
            id: string;
            /** @enum {string} */
            action: "pass" | "warn" | "flag" | "block" | "log" | "notify";
            policyResult: components["schemas"]["AdmittedPolicyResult"];
            /**
             * @description Reservations: the amount is held
             * @constant
             */
            status?: "reserved";
            /**
             * Format: date-time
             * @description Reservations: when an unsettled hold is released
             */
            expiresAt?: string;
            /** @description Costed from tokens: the amount the price table gave */
            amount?: number;
            amountMicros?: number;
        };
        Transaction: {
            id: string;
            amount: number;
            amountMicros: number;
            vendor: string;
            model: string | null;
            agentId: string;
            userId: string | null;
            userRoles: string[];
            teamId: string | null;
            projectId: string | null;
            tokensIn: number;
            tokensOut: number;
            prompt: string | null;
            response: string | null;
            metadata: {
                [key: string]: unknown;
            };
            /** Format: date-time */
            timestamp: string;
            /** Format: date-time */
            createdAt: string;
            /** @enum {string} */
            action: "pass" | "warn" | "flag" | "block" | "log" | "notify";
            ruleId: string | null;
            /** @enum {string} */
            status: "recorded" | "blocked" | "reserved" | "settled" | "voided" | "expired";
            /** @enum {string} */
            phase: "final" | "reserve" | "observed";
            policyResult: components["schemas"]["StoredPolicyResult"];
            priceSource: string | null;
            priceVersion: string | null;
            review: components["schemas"]["Review"] | null;
        };
        /** @description A rule (typed dialect) */
        TypedRule: {
            id: string;
            name: string;
            description: string | null;
            /** @enum {string} */
            type: "budget" | "model_filter" | "user_limit" | "org_policy" | "custom";
            enabled: boolean;
            /** @enum {string} */
            mode: "enforce" | "shadow";
            /** @enum {string} */
            scope: "org" | "user" | "team" | "project";
            scope_id: string | null;
            priority: number;
            /** @description Per type: budget {window, metric, threshold}, model_filter {model: {in | not_in}}, user_limit {window, metric, per_user}, org_policy {require_project_id, block_unknown_models} */
            condition: {
                [key: string]: unknown;
            };
            filters?: {
                [key: string]: unknown;
            };
            /** @enum {string} */
            action: "pass" | "warn" | "flag" | "block" | "log" | "notify";
            action_config: {
                [key: string]: unknown;
            };
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
            warnings: components["schemas"]["RuleWarning"][];
        };
        /** @description Invalid or missing API key (one answer for missing, malformed, unknown and revoked keys) */
        UnauthorizedError: {
            /** @constant */
            success: false;
            message: string;
            requestId?: string;
            /** @constant */
            code: "UNAUTHORIZED";
        } & {
            [key: string]: unknown;
        };
        /** @description The body is not application/json, or its Content-Encoding is not identity */
        UnsupportedMediaTypeError: {
            /** @constant */
            success: false;
            message: string;
            requestId?: string;
            /** @constant */
            code: "UNSUPPORTED_MEDIA_TYPE";
        } & {
            [key: string]: unknown;
        };
        /** @description Missing or invalid parameters */
        ValidationError: {
            /** @constant */
            success: false;
            message: string;
            requestId?: string;
            /** @constant */
            code: "VALIDATION_ERROR";
            /** @description The first invalid field (`body` for the body as a whole) */
            field: string;
            issues: {
                path: string;
                message: string;
            }[];
        } & {
            [key: string]: unknown;
        };
        Vendor: {
            vendor: string;
            name: string;
            enabled: boolean;
            rateLimitRpm: number | null;
            updatedAt: string | null;
        };
    };
    responses: {
        /** @description UNAUTHORIZED: invalid or missing API key */
        Unauthorized: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["UnauthorizedError"];
            };
        };
        /** @description FORBIDDEN: the API key lacks the permission */
        Forbidden: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ForbiddenError"];
            };
        };
        /** @description NOT_FOUND */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["NotFoundError"];
            };
        };
        /** @description PAYLOAD_TOO_LARGE */
        PayloadTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["PayloadTooLargeError"];
            };
        };
        /** @description UNSUPPORTED_MEDIA_TYPE */
        UnsupportedMediaType: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["UnsupportedMediaTypeError"];
            };
        };
        /** @description VALIDATION_ERROR: names the invalid field */
        ValidationError: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ValidationError"];
            };
        };
        /** @description RATE_LIMITED: retry after Retry-After seconds */
        RateLimited: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["RateLimitedError"];
            };
        };
        /** @description INTERNAL_ERROR */
        InternalError: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["InternalError"];
            };
        };
        /** @description SERVICE_UNAVAILABLE: retry shortly */
        ServiceUnavailable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ServiceUnavailableError"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listTransactions: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                cursor?: string;
                vendor?: string;
                agentId?: string;
                userId?: string;
                startDate?: string;
                endDate?: string;
                action?: "pass" | "warn" | "flag" | "block" | "log" | "notify";
                review?: "open" | "approved" | "rejected";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        transactions: components["schemas"]["Transaction"][];
                        count: number;
                        total: number;
                        limit: number;
                        offset: number;
                        /** @description Pass as `cursor` to read the next page; null on the last page */
                        nextCursor: string | null;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    createTransaction: {
        parameters: {
            query?: never;
            header?: {
                /** @description A replay with the same key answers the first response and records nothing twice; the same key with another body is a 409 */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    amount?: number;
                    amountMicros?: number;
                    vendor: string;
                    model?: string | null;
                    agentId?: string | null;
                    userId?: string | null;
                    userRoles?: string[];
                    teamId?: string | null;
                    projectId?: string | null;
                    prompt?: string | null;
                    response?: string | null;
                    metadata?: {
                        [key: string]: unknown;
                    };
                    timestamp?: string;
                    tokensIn?: number;
                    tokensOut?: number;
                    cacheReadTokens?: number;
                    cacheWriteTokens?: number;
                    /** @enum {string} */
                    phase?: "final" | "reserve" | "observed";
                    reservationTtlSeconds?: number;
                };
            };
        };
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubmittedTransaction"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description POLICY_VIOLATION: a rule blocked the transaction; FORBIDDEN: missing permission */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PolicyViolationError"] | components["schemas"]["ForbiddenError"];
                };
            };
            /** @description Conflict: IDEMPOTENCY_CONFLICT, IDEMPOTENCY_IN_PROGRESS */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        message: string;
                        requestId?: string;
                        /** @enum {string} */
                        code: "IDEMPOTENCY_CONFLICT" | "IDEMPOTENCY_IN_PROGRESS";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    createTransactionsBulk: {
        parameters: {
            query?: never;
            header?: {
                /** @description A replay with the same key answers the first response and records nothing twice; the same key with another body is a 409 */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    transactions: unknown[];
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        results: ({
                            index: number;
                            /** @constant */
                            success: true;
                            id: string;
                            /** @enum {string} */
                            action: "pass" | "warn" | "flag" | "block" | "log" | "notify";
                            policyResult: components["schemas"]["AdmittedPolicyResult"];
                            /**
                             * @description Reservations: the amount is held
                             * @constant
                             */
                            status?: "reserved";
                            /**
                             * Format: date-time
                             * @description Reservations: when an unsettled hold is released
                             */
                            expiresAt?: string;
                            /** @description Costed from tokens: the amount the price table gave */
                            amount?: number;
                            amountMicros?: number;
                        } | ({
                            index: number;
                            /** @constant */
                            success: false;
                            code: string;
                            message: string;
                        } & {
                            [key: string]: unknown;
                        }))[];
                        count: number;
                        recorded: number;
                        blocked: number;
                        failed: number;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            /** @description Conflict: IDEMPOTENCY_CONFLICT */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        message: string;
                        requestId?: string;
                        /** @constant */
                        code: "IDEMPOTENCY_CONFLICT";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    settleTransaction: {
        parameters: {
            query?: never;
            header?: {
                /** @description A replay with the same key answers the first response and records nothing twice; the same key with another body is a 409 */
                "Idempotency-Key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    amount?: number;
                    amountMicros?: number;
                    tokensIn?: number;
                    tokensOut?: number;
                    cacheReadTokens?: number;
                    cacheWriteTokens?: number;
                    response?: string | null;
                    metadata?: {
                        [key: string]: unknown;
                    };
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        id: string;
                        /** @constant */
                        status: "settled";
                        amount: number;
                        amountMicros: number;
                        tokensIn: number;
                        tokensOut: number;
                        estimatedAmount: number;
                        estimatedAmountMicros: number;
                        /** Format: date-time */
                        settledAt: string;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            /** @description Conflict: NOT_A_RESERVATION, RESERVATION_SETTLED, RESERVATION_VOIDED, RESERVATION_BLOCKED, IDEMPOTENCY_CONFLICT, IDEMPOTENCY_IN_PROGRESS */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        message: string;
                        requestId?: string;
                        /** @enum {string} */
                        code: "NOT_A_RESERVATION" | "RESERVATION_SETTLED" | "RESERVATION_VOIDED" | "RESERVATION_BLOCKED" | "IDEMPOTENCY_CONFLICT" | "IDEMPOTENCY_IN_PROGRESS";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    voidTransaction: {
        parameters: {
            query?: never;
            header?: {
                /** @description A replay with the same key answers the first response and records nothing twice; the same key with another body is a 409 */
                "Idempotency-Key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    reason?: string;
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        id: string;
                        /** @constant */
                        status: "voided";
                        releasedAmountMicros: number;
                        /** Format: date-time */
                        voidedAt: string;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            /** @description Conflict: NOT_A_RESERVATION, RESERVATION_SETTLED, RESERVATION_VOIDED, RESERVATION_BLOCKED, IDEMPOTENCY_CONFLICT, IDEMPOTENCY_IN_PROGRESS */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        message: string;
                        requestId?: string;
                        /** @enum {string} */
                        code: "NOT_A_RESERVATION" | "RESERVATION_SETTLED" | "RESERVATION_VOIDED" | "RESERVATION_BLOCKED" | "IDEMPOTENCY_CONFLICT" | "IDEMPOTENCY_IN_PROGRESS";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    reviewTransaction: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @enum {string} */
                    decision: "approved" | "rejected";
                    note?: string;
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        transaction: components["schemas"]["Transaction"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            /** @description Conflict: NOT_FLAGGED, ALREADY_REVIEWED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        message: string;
                        requestId?: string;
                        /** @enum {string} */
                        code: "NOT_FLAGGED" | "ALREADY_REVIEWED";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getTransaction: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        transaction: components["schemas"]["Transaction"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getTransactionTrace: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        traceId: string;
                        transactionId: string;
                        evaluatedRules: components["schemas"]["EvaluatedRule"][];
                        /** @enum {string} */
                        finalAction: "pass" | "warn" | "flag" | "block" | "log" | "notify";
                        policyResult: components["schemas"]["StoredPolicyResult"];
                        /** Format: date-time */
                        evaluatedAt: string;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    evaluatePolicy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    amount?: number;
                    amountMicros?: number;
                    vendor: string;
                    model?: string | null;
                    agentId?: string | null;
                    userId?: string | null;
                    userRoles?: string[];
                    teamId?: string | null;
                    projectId?: string | null;
                    prompt?: string | null;
                    response?: string | null;
                    metadata?: {
                        [key: string]: unknown;
                    };
                    timestamp?: string;
                    tokensIn?: number;
                    tokensOut?: number;
                    cacheReadTokens?: number;
                    cacheWriteTokens?: number;
                    /** @enum {string} */
                    phase?: "final" | "reserve" | "observed";
                    reservationTtlSeconds?: number;
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        result: components["schemas"]["AdmittedPolicyResult"];
                        shadow: {
                            [key: string]: unknown;
                        }[];
                        evaluatedRules: components["schemas"]["EvaluatedRule"][];
                        /** Format: date-time */
                        evaluatedAt: string;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    startBacktest: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    rules: unknown[];
                    startDate: string;
                    endDate: string;
                };
            };
        };
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        backtest: components["schemas"]["Backtest"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getBacktest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        backtest: components["schemas"]["Backtest"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    listPolicyRules: {
        parameters: {
            query?: {
                enabled?: "true" | "false";
                action?: "pass" | "warn" | "flag" | "block" | "log" | "notify";
                vendor?: string;
                waiting?: "true" | "false";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        rules: components["schemas"]["PolicyRule"][];
                        count: number;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    createPolicyRule: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    id?: unknown;
                    createdAt?: unknown;
                    updatedAt?: unknown;
                    name: string;
                    description?: string | null;
                    enabled?: boolean;
                    priority?: number;
                    /** @enum {string} */
                    mode?: "enforce" | "shadow";
                    /** @enum {string} */
                    type?: "budget" | "model_filter" | "user_limit" | "org_policy" | "custom";
                    /** @enum {string} */
                    scope?: "org" | "user" | "team" | "project";
                    scopeId?: string | null;
                    conditions?: {
                        vendors?: string[];
                        models?: string[];
                        excludeModels?: string[];
                        agentIds?: string[];
                        userIds?: string[];
                        userRoles?: string[];
                        teamIds?: string[];
                        projectIds?: string[];
                        amountCents?: {
                            min?: number;
                            max?: number;
                        };
                        /** @enum {string} */
                        timeWindow?: "hourly" | "daily" | "weekly" | "monthly";
                        schedule?: {
                            daysOfWeek?: (number | string)[];
                            hours?: string[];
                        };
                        forecastPct?: number;
                        unknownModel?: boolean;
                        requireProjectId?: boolean;
                    };
                    /** @enum {string} */
                    action: "pass" | "warn" | "flag" | "block" | "log" | "notify";
                    actionConfig?: {
                        message?: string;
                        redirectUrl?: string;
                        channels?: string[];
                        thresholdPct?: number;
                        limitCents?: number;
                        budgetCents?: number;
                        limitTokens?: number;
                        maxTransactions?: number;
                        /** @enum {string} */
                        per?: "org" | "agent" | "user" | "team" | "project" | "vendor" | "model";
                        /** @enum {string} */
                        metric?: "cost_cents" | "tokens_in" | "tokens_out" | "tokens_total" | "requests";
                    };
                };
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        id: string;
                        name: string;
                        priority: number;
                        /** Format: date-time */
                        createdAt: string;
                        rule: components["schemas"]["PolicyRule"];
                        warnings: components["schemas"]["RuleWarning"][];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getPolicyRule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        rule: components["schemas"]["PolicyRule"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    updatePolicyRule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    id?: unknown;
                    createdAt?: unknown;
                    updatedAt?: unknown;
                    name?: string;
                    description?: string | null;
                    enabled?: boolean;
                    priority?: number;
                    /** @enum {string} */
                    mode?: "enforce" | "shadow";
                    /** @enum {string} */
                    type?: "budget" | "model_filter" | "user_limit" | "org_policy" | "custom";
                    /** @enum {string} */
                    scope?: "org" | "user" | "team" | "project";
                    scopeId?: string | null;
                    conditions?: {
                        vendors?: string[];
                        models?: string[];
                        excludeModels?: string[];
                        agentIds?: string[];
                        userIds?: string[];
                        userRoles?: string[];
                        teamIds?: string[];
                        projectIds?: string[];
                        amountCents?: {
                            min?: number;
                            max?: number;
                        };
                        /** @enum {string} */
                        timeWindow?: "hourly" | "daily" | "weekly" | "monthly";
                        schedule?: {
                            daysOfWeek?: (number | string)[];
                            hours?: string[];
                        };
                        forecastPct?: number;
                        unknownModel?: boolean;
                        requireProjectId?: boolean;
                    };
                    /** @enum {string} */
                    action?: "pass" | "warn" | "flag" | "block" | "log" | "notify";
                    actionConfig?: {
                        message?: string;
                        redirectUrl?: string;
                        channels?: string[];
                        thresholdPct?: number;
                        limitCents?: number;
                        budgetCents?: number;
                        limitTokens?: number;
                        maxTransactions?: number;
                        /** @enum {string} */
                        per?: "org" | "agent" | "user" | "team" | "project" | "vendor" | "model";
                        /** @enum {string} */
                        metric?: "cost_cents" | "tokens_in" | "tokens_out" | "tokens_total" | "requests";
                    };
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        id: string;
                        /** Format: date-time */
                        updatedAt: string;
                        rule: components["schemas"]["PolicyRule"];
                        warnings: components["schemas"]["RuleWarning"][];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    deletePolicyRule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        id: string;
                        /** @constant */
                        deleted: true;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getPolicyRuleHits: {
        parameters: {
            query?: {
                days?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        hits: {
                            ruleId: string;
                            timeZone: string;
                            /** Format: date-time */
                            startDate: string;
                            /** Format: date-time */
                            endDate: string;
                            days: {
                                date: string;
                                hits: number;
                                blocked: number;
                                flagged: number;
                                warned: number;
                                amountCents: number;
                            }[];
                            totals: {
                                hits: number;
                                blocked: number;
                                flagged: number;
                                warned: number;
                                amountCents: number;
                            };
                        };
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    listRules: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        object: "list";
                        data: components["schemas"]["TypedRule"][];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    createRule: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    id?: unknown;
                    created_at?: unknown;
                    updated_at?: unknown;
                    name: string;
                    description?: string | null;
                    /** @enum {string} */
                    type: "budget" | "model_filter" | "user_limit" | "org_policy" | "custom";
                    enabled?: boolean;
                    /** @enum {string} */
                    mode?: "enforce" | "shadow";
                    /** @enum {string} */
                    scope?: "org" | "user" | "team" | "project";
                    scope_id?: string | null;
                    priority?: number;
                    condition?: {
                        [key: string]: unknown;
                    };
                    filters?: {
                        vendors?: string[];
                        models?: string[];
                        exclude_models?: string[];
                        agent_ids?: string[];
                        user_ids?: string[];
                        user_roles?: string[];
                        team_ids?: string[];
                        project_ids?: string[];
                        amount_cents?: {
                            min?: number;
                            max?: number;
                        };
                        schedule?: {
                            days_of_week?: (number | string)[];
                            hours?: string[];
                        };
                        require_project_id?: boolean;
                        unknown_model?: boolean;
                    };
                    /** @enum {string} */
                    action: "pass" | "warn" | "flag" | "block" | "log" | "notify";
                    action_config?: {
                        message?: string;
                        redirect_url?: string;
                        channels?: string[];
                        threshold_pct?: number;
                        /** @enum {string} */
                        per?: "org" | "agent" | "user" | "team" | "project" | "vendor" | "model";
                    };
                };
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TypedRule"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getRule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TypedRule"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    updateRule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    id?: unknown;
                    created_at?: unknown;
                    updated_at?: unknown;
                    name?: string;
                    description?: string | null;
                    /** @enum {string} */
                    type?: "budget" | "model_filter" | "user_limit" | "org_policy" | "custom";
                    enabled?: boolean;
                    /** @enum {string} */
                    mode?: "enforce" | "shadow";
                    /** @enum {string} */
                    scope?: "org" | "user" | "team" | "project";
                    scope_id?: string | null;
                    priority?: number;
                    condition?: {
                        [key: string]: unknown;
                    };
                    filters?: {
                        vendors?: string[];
                        models?: string[];
                        exclude_models?: string[];
                        agent_ids?: string[];
                        user_ids?: string[];
                        user_roles?: string[];
                        team_ids?: string[];
                        project_ids?: string[];
                        amount_cents?: {
                            min?: number;
                            max?: number;
                        };
                        schedule?: {
                            days_of_week?: (number | string)[];
                            hours?: string[];
                        };
                        require_project_id?: boolean;
                        unknown_model?: boolean;
                    };
                    /** @enum {string} */
                    action?: "pass" | "warn" | "flag" | "block" | "log" | "notify";
                    action_config?: {
                        message?: string;
                        redirect_url?: string;
                        channels?: string[];
                        threshold_pct?: number;
                        /** @enum {string} */
                        per?: "org" | "agent" | "user" | "team" | "project" | "vendor" | "model";
                    };
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TypedRule"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    deleteRule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    listApiKeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        keys: components["schemas"]["ApiKey"][];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    createApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    permissions: ("transactions:write" | "transactions:read" | "transactions:review" | "policies:read" | "policies:write" | "agents:read" | "agents:write" | "audit:read" | "alerts:read" | "alerts:write" | "analytics:read" | "keys:admin" | "org:admin" | "users:admin" | "*")[];
                    env?: string;
                };
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        id: string;
                        name: string;
                        /** @description The full key: shown once, never again */
                        key: string;
                        keyMasked: string;
                        /** Format: date-time */
                        createdAt: string;
                        permissions: string[];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    revokeApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        id: string;
                        /** @constant */
                        isActive: false;
                        /** Format: date-time */
                        revokedAt: string;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    listAgents: {
        parameters: {
            query?: {
                vendor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        agents: components["schemas"]["Agent"][];
                        count: number;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    createAgent: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    agentId: string;
                    name: string;
                    description?: string | null;
                    vendor?: string | null;
                    monthlyBudgetCents?: number | null;
                    metadata?: {
                        [key: string]: unknown;
                    } | null;
                };
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        agentId: string;
                        /** Format: date-time */
                        createdAt: string;
                        agent: components["schemas"]["Agent"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            /** @description Conflict: ALREADY_EXISTS */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        message: string;
                        requestId?: string;
                        /** @constant */
                        code: "ALREADY_EXISTS";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getAgent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                agentId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        agent: components["schemas"]["Agent"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    updateAgent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                agentId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    agentId?: string;
                    name?: string;
                    description?: string | null;
                    vendor?: string | null;
                    monthlyBudgetCents?: number | null;
                    metadata?: {
                        [key: string]: unknown;
                    } | null;
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        agentId: string;
                        /** Format: date-time */
                        updatedAt: string;
                        agent: components["schemas"]["Agent"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    deleteAgent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                agentId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        agentId: string;
                        /** @constant */
                        deleted: true;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getOrganization: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        org: components["schemas"]["Organization"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    updateOrganization: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    id?: string;
                    name?: string;
                    timeZone?: string;
                    /** @enum {string} */
                    defaultAction?: "pass" | "block";
                    hourlyBudgetCents?: number | null;
                    dailyBudgetCents?: number | null;
                    weeklyBudgetCents?: number | null;
                    monthlyBudgetCents?: number | null;
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        org: components["schemas"]["Organization"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getBudgetUsage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        usage: {
                            timeZone: string;
                            windows: {
                                hourly: {
                                    /** Format: date-time */
                                    startDate: string;
                                    /** Format: date-time */
                                    endDate: string;
                                };
                                daily: {
                                    /** Format: date-time */
                                    startDate: string;
                                    /** Format: date-time */
                                    endDate: string;
                                };
                                weekly: {
                                    /** Format: date-time */
                                    startDate: string;
                                    /** Format: date-time */
                                    endDate: string;
                                };
                                monthly: {
                                    /** Format: date-time */
                                    startDate: string;
                                    /** Format: date-time */
                                    endDate: string;
                                };
                            };
                            org: {
                                hourly: number;
                                daily: number;
                                weekly: number;
                                monthly: number;
                            };
                            teams: {
                                [key: string]: {
                                    hourly: number;
                                    daily: number;
                                    weekly: number;
                                    monthly: number;
                                };
                            };
                            projects: {
                                [key: string]: {
                                    hourly: number;
                                    daily: number;
                                    weekly: number;
                                    monthly: number;
                                };
                            };
                            agents: {
                                [key: string]: {
                                    hourly: number;
                                    daily: number;
                                    weekly: number;
                                    monthly: number;
                                };
                            };
                        };
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    listBudgets: {
        parameters: {
            query?: {
                kind?: "roles" | "teams" | "projects";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        budgets: components["schemas"]["Budget"][];
                        count: number;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getBudget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                kind: string;
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        budget: components["schemas"]["Budget"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    putBudget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                kind: string;
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    kind?: string;
                    id?: string;
                    hourlyBudgetCents?: number | null;
                    dailyBudgetCents?: number | null;
                    weeklyBudgetCents?: number | null;
                    monthlyBudgetCents?: number | null;
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        budget: components["schemas"]["Budget"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    deleteBudget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                kind: string;
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        /** @enum {string} */
                        kind: "role" | "team" | "project";
                        id: string;
                        /** @constant */
                        deleted: true;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    listVendors: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        vendors: components["schemas"]["Vendor"][];
                        count: number;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getVendor: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                vendor: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        vendor: components["schemas"]["Vendor"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    updateVendor: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                vendor: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    enabled?: boolean;
                    rateLimitRpm?: number | null;
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        vendor: components["schemas"]["Vendor"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getVendorPrices: {
        parameters: {
            query?: {
                at?: string;
            };
            header?: never;
            path: {
                vendor: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        vendor: string;
                        /** Format: date-time */
                        at: string;
                        priceVersion: string;
                        models: {
                            model: string;
                            name: string | null;
                            /** @description Dollars per million input tokens */
                            inputPerMtokUsd: number | null;
                            outputPerMtokUsd: number | null;
                            /** @description Absent: cached input costs the input price */
                            cacheReadPerMtokUsd?: number;
                            cacheWritePerMtokUsd?: number;
                            perRequestUsd?: number;
                            /** @description Long-context prices by input size */
                            tiers?: {
                                aboveInputTokens: number;
                                inputPerMtokUsd?: number;
                                outputPerMtokUsd?: number;
                                cacheReadPerMtokUsd?: number;
                                cacheWritePerMtokUsd?: number;
                            }[];
                            deprecated: boolean;
                            source: string;
                            overriddenBy: string | null;
                        }[];
                        /** @description The overrides in force at `at`, latest start first (the first listed wins) */
                        overrides: {
                            id: string;
                            vendor: string;
                            model: string;
                            inputPerMtokUsd: number | null;
                            outputPerMtokUsd: number | null;
                            cacheReadPerMtokUsd: number | null;
                            cacheWritePerMtokUsd: number | null;
                            perRequestUsd: number | null;
                            /** Format: date-time */
                            effectiveFrom: string;
                            effectiveTo: string | null;
                            /** Format: date-time */
                            createdAt: string;
                            /** @constant */
                            source: "override";
                        }[];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    listPriceOverrides: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                vendor: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        vendor: string;
                        overrides: components["schemas"]["PriceOverride"][];
                        count: number;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    createPriceOverride: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                vendor: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    model: string;
                    inputPerMtokUsd?: number;
                    outputPerMtokUsd?: number;
                    cacheReadPerMtokUsd?: number;
                    cacheWritePerMtokUsd?: number;
                    perRequestUsd?: number;
                    effectiveFrom?: string;
                    effectiveTo?: string | null;
                };
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        override: components["schemas"]["PriceOverride"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    deletePriceOverride: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                vendor: string;
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        id: string;
                        /** @constant */
                        deleted: true;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    listAuditEvents: {
        parameters: {
            query?: {
                action?: string;
                entityType?: string;
                startDate?: string;
                endDate?: string;
                limit?: number;
                offset?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        events: components["schemas"]["AuditEvent"][];
                        count: number;
                        total: number;
                        limit: number;
                        offset: number;
                        /** @description Pass as `cursor` to read the next page; null on the last page */
                        nextCursor: string | null;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    exportAuditCsv: {
        parameters: {
            query?: {
                action?: string;
                entityType?: string;
                startDate?: string;
                endDate?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The CSV file, streamed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": string;
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    verifyAuditLog: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        valid: boolean;
                        checked: number;
                        headSeq: number;
                        from: number;
                        firstBrokenLink: {
                            seq: number;
                            eventId: string | null;
                            reason: string;
                        } | null;
                        checkpoint: {
                            seq: number;
                            hash: string;
                            /** Format: date-time */
                            verifiedAt: string;
                        } | null;
                        complete: boolean;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    startAuditVerification: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, never>;
            };
        };
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        verification: components["schemas"]["AuditVerification"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getAuditVerification: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        verification: components["schemas"]["AuditVerification"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    listPolicyAlerts: {
        parameters: {
            query?: {
                read?: boolean;
                ruleId?: string;
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        alerts: components["schemas"]["PolicyAlert"][];
                        count: number;
                        total: number;
                        /** @description Pass as `cursor` to read the next page; null on the last page */
                        nextCursor: string | null;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getPolicyAlert: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        alert: components["schemas"]["PolicyAlert"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    markPolicyAlertRead: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        id: string;
                        /** @constant */
                        read: true;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getAnalyticsSummary: {
        parameters: {
            query?: {
                period?: "hourly" | "daily" | "weekly" | "monthly";
                startDate?: string;
                endDate?: string;
                agentId?: string;
                groupBy?: "day" | "hour";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        period: string;
                        agentId?: string;
                        timeZone: string;
                        /** Format: date-time */
                        startDate: string;
                        /** Format: date-time */
                        endDate: string;
                        totalSpendCents: number;
                        totalSpendMicros: number;
                        byVendor: {
                            [key: string]: number;
                        };
                        byAgent: {
                            [key: string]: number;
                        };
                        byModel: {
                            [key: string]: number;
                        };
                        byUser: {
                            [key: string]: number;
                        };
                        transactionCount: number;
                        blockedCount: number;
                        flaggedCount: number;
                        warnedCount: number;
                        tokensIn: number;
                        tokensOut: number;
                        shadow: {
                            wouldBlock: number;
                            wouldWarn: number;
                            wouldFlag: number;
                        };
                        groupBy?: string;
                        series?: {
                            /** Format: date-time */
                            start: string;
                            spendCents: number;
                            transactionCount: number;
                            blockedCount: number;
                            flaggedCount: number;
                            warnedCount: number;
                        }[];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getAnalyticsForecast: {
        parameters: {
            query?: {
                period?: "hourly" | "daily" | "weekly" | "monthly";
                agentId?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        period: string;
                        agentId?: string;
                        timeZone: string;
                        /** Format: date-time */
                        periodStart: string;
                        /** Format: date-time */
                        periodEnd: string;
                        totalSpendCents: number;
                        projectedSpendCents: number;
                        budgetCents: number | null;
                        budgetUtilizationPct: number | null;
                        burnRateCentsPerDay: number;
                        runsOutAt: string | null;
                        budgetExhausted: boolean;
                        method: string;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getAnalyticsAnomalies: {
        parameters: {
            query?: {
                agentId?: string;
                hours?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        hours: number;
                        method: string;
                        anomalies: {
                            agentId: string;
                            /** @enum {string} */
                            metric: "spend" | "requests";
                            /** Format: date-time */
                            windowStart: string;
                            /** Format: date-time */
                            windowEnd: string;
                            observed: number;
                            expected: number;
                            score: number;
                            baselineDays: number;
                        }[];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    listNotificationChannels: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        channels: components["schemas"]["NotificationChannel"][];
                        count: number;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    createNotificationChannel: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    /** @enum {string} */
                    type: "webhook" | "slack" | "email";
                    enabled?: boolean;
                    url?: string;
                    secret?: string;
                    addresses?: string[];
                };
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        channel: components["schemas"]["NotificationChannel"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getNotificationChannel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        channel: components["schemas"]["NotificationChannel"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    updateNotificationChannel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name?: string;
                    /** @enum {string} */
                    type?: "webhook" | "slack" | "email";
                    enabled?: boolean;
                    url?: string;
                    secret?: string;
                    rotateSecret?: boolean;
                    addresses?: string[];
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        channel: components["schemas"]["NotificationChannel"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    deleteNotificationChannel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        id: string;
                        /** @constant */
                        deleted: true;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            /** @description Conflict: CHANNEL_IN_USE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        message: string;
                        requestId?: string;
                        /** @constant */
                        code: "CHANNEL_IN_USE";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    testNotificationChannel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        delivery: components["schemas"]["Delivery"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            /** @description Conflict: CHANNEL_DISABLED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        message: string;
                        requestId?: string;
                        /** @constant */
                        code: "CHANNEL_DISABLED";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    listChannelDeliveries: {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        deliveries: {
                            id: string;
                            channelId: string;
                            /** @enum {string} */
                            status: "pending" | "delivered" | "failed";
                            attempts: number;
                            lastError: string | null;
                            deliveredAt: string | null;
                            nextAttemptAt: string | null;
                            alertId: string | null;
                            test: boolean;
                        }[];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getSdkState: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        version: number;
                        /** Format: date-time */
                        serverTime: string;
                        priceDataVersion: string;
                        org: {
                            timeZone: string;
                            /** @enum {string} */
                            defaultAction: "pass" | "block";
                            budgets: {
                                [key: string]: number;
                            };
                        };
                        /** @description The canonical rules the engine evaluates */
                        rules: {
                            [key: string]: unknown;
                        }[];
                        agentBudgets: {
                            [key: string]: number;
                        };
                        budgets: {
                            roles: {
                                [key: string]: {
                                    [key: string]: unknown;
                                };
                            };
                            teams: {
                                [key: string]: {
                                    [key: string]: unknown;
                                };
                            };
                            projects: {
                                [key: string]: {
                                    [key: string]: unknown;
                                };
                            };
                        };
                        vendors: {
                            [key: string]: {
                                [key: string]: unknown;
                            };
                        };
                        overrides: {
                            [key: string]: unknown;
                        }[];
                        windows: {
                            key: string;
                            period: string;
                            per: string;
                            group: string;
                            /** Format: date-time */
                            start: string;
                            /** Format: date-time */
                            end: string;
                            costMicros: number;
                            tokensIn: number;
                            tokensOut: number;
                            requests: number;
                        }[];
                        truncated: boolean;
                        rateLimits: {
                            vendor: string;
                            /** Format: date-time */
                            start: string;
                            /** Format: date-time */
                            end: string;
                            requests: number;
                        }[];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Up, database reachable */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        /** @constant */
                        status: "ok";
                        /** @constant */
                        database: "reachable";
                    };
                };
            };
            /** @description SERVICE_UNAVAILABLE: the database is unreachable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServiceUnavailableError"];
                };
            };
        };
    };
    getOpenApiDocument: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI 3.1 document of the REST API */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
        };
    };
    getApiDocs: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An HTML page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
        };
    };
    getSdkFile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                file: "reins.js" | "reins.mjs";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The SDK file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/javascript": string;
                };
            };
            /** @description Not modified (If-None-Match matched the ETag) */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: components["responses"]["NotFound"];
            422: components["responses"]["ValidationError"];
        };
    };
    signIn: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                    password: string;
                } | {
                    apiKey: string;
                };
            };
        };
        responses: {
            /** @description Signed in: the session cookie is set */
            200: {
                headers: {
                    /** @description The `reins_session` cookie (HttpOnly, SameSite=Strict) */
                    "Set-Cookie"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        session: components["schemas"]["Session"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    redeemSignInLink: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    token: string;
                    password: string;
                };
            };
        };
        responses: {
            /** @description Signed in: the session cookie is set */
            200: {
                headers: {
                    /** @description The `reins_session` cookie (HttpOnly, SameSite=Strict) */
                    "Set-Cookie"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        session: components["schemas"]["Session"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The session */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        session: components["schemas"]["Session"];
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    signOut: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed out */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: components["responses"]["Forbidden"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    changePassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    currentPassword: string;
                    newPassword: string;
                };
            };
        };
        responses: {
            /** @description Changed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationError"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
}
