import type { ReactNode } from 'react';
import { Link, useRoute } from 'wouter';
import { useAuth, useSession } from '../lib/auth.js';
import { can } from '../lib/session.js';

/** The pages of the dashboard, with the permission each one reads with. */
export const NAV = [
  { href: '/', label: 'Overview', needs: 'analytics:read' },
  { href: '/transactions', label: 'Transactions', needs: 'transactions:read' },
  { href: '/review', label: 'Review', needs: 'transactions:read' },
  { href: '/rules', label: 'Policy rules', needs: 'policies:read' },
  { href: '/budgets', label: 'Budgets', needs: 'policies:read' },
  { href: '/agents', label: 'Agents', needs: 'agents:read' },
  { href: '/vendors', label: 'Vendors', needs: 'policies:read' },
  { href: '/alerts', label: 'Alerts & channels', needs: 'alerts:read' },
  { href: '/audit', label: 'Audit log', needs: 'audit:read' },
  { href: '/keys', label: 'API keys', needs: 'keys:admin' },
  { href: '/users', label: 'Users', needs: 'users:admin' },
] as const;

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const [active] = useRoute(href);
  return (
    <Link
      href={href}
      className={active ? 'nav-link active' : 'nav-link'}
      aria-current={active ? 'page' : undefined}
    >
      {children}
    </Link>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const auth = useAuth();
  const session = useSession();
  const who = session.user ? (session.user.name ?? session.user.email) : 'API key';
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Reins</span>
        <span className="org">{session.orgName}</span>
        <span className="spacer" />
        <Link
          href="/account"
          className="who"
          title={session.user?.email ?? session.keyId ?? undefined}
        >
          {who}
          {session.user ? <span className="badge">{session.user.role}</span> : null}
        </Link>
        <button
          type="button"
          onClick={() => {
            void auth.signOut();
          }}
        >
          Sign out
        </button>
      </header>
      <nav className="sidenav" aria-label="Main">
        <ul>
          {NAV.filter((item) => can(session, item.needs)).map((item) => (
            <li key={item.href}>
              <NavLink href={item.href}>{item.label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
