import { Body, Controller, Get, Post, Redirect, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import {
  ConsoleAction,
  ConsolePage,
  ConsoleSignedOutAction,
  ConsoleSignedOutPage,
  CurrentActor,
  FormFields,
} from '../../platform/auth/auth.decorators.js';
import type { Actor } from '../../platform/auth/actor.js';
import {
  type ConsolePrincipal,
  PRE_SESSION_COOKIE,
  readCookie,
  SESSION_COOKIE,
} from '../../platform/auth/console-principal.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { DomainError } from '../../platform/errors/domain-error.js';
import { AgentsService } from '../agents/agents.service.js';
import { ConsoleErrors } from '../console.errors.js';
import { passwordPage } from '../pages/password.page.js';
import { signInPage } from '../pages/sign-in.page.js';
import { consoleCookie, CurrentAgent } from '../ui/console-request.js';
import type { SafeHtml } from '../ui/html.js';
import { ConsoleAuthService } from './console-auth.service.js';

const PRE_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const field = (form: Record<string, string>, name: string): string =>
  typeof form[name] === 'string' ? form[name] : '';

/** Sign-in, sign-out (here and everywhere), the agent's password. */
@ApiExcludeController()
@Controller('console')
export class ConsoleAuthController {
  constructor(
    private readonly auth: ConsoleAuthService,
    private readonly agents: AgentsService,
  ) {}

  /** The pre-session cookie's token (made if absent): the sign-in form's CSRF token is that same value. */
  private preSession(req: FastifyRequest, reply: FastifyReply): string {
    const present = readCookie(req.headers.cookie, PRE_SESSION_COOKIE);
    if (present && PRE_TOKEN.test(present)) return present;
    const token = randomBytes(32).toString('base64url');
    void reply.header('set-cookie', consoleCookie(req, PRE_SESSION_COOKIE, token));
    return token;
  }

  @Get('connexion')
  @ConsoleSignedOutPage()
  signInForm(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): SafeHtml {
    return signInPage({ csrf: this.preSession(req, reply) });
  }

  @Post('connexion')
  @ConsoleSignedOutAction()
  @FormFields('login', 'password', 'code')
  async signIn(
    @Body() form: Record<string, string>,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SafeHtml | undefined> {
    const login = field(form, 'login');
    const result = await this.auth.signIn(
      { login, password: field(form, 'password'), code: field(form, 'code') },
      String(req.id),
    );
    if (result.ok) {
      // The pre-session token is spent; the session cookie lasts as long as the browser (the server ends it).
      void reply.header('set-cookie', [
        consoleCookie(req, SESSION_COOKIE, result.token),
        consoleCookie(req, PRE_SESSION_COOKIE, '', 0),
      ]);
      void reply.redirect('/console', 303);
      return undefined;
    }
    void reply.status(result.reason === 'locked' ? 429 : 401);
    return signInPage({ csrf: this.preSession(req, reply), refusal: result, login: login.slice(0, 64) });
  }

  @Post('deconnexion')
  @ConsoleAction('operator', 'fund')
  @Redirect('/console/connexion', 303)
  async signOut(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.auth.signOut(actor, agent.sessionId);
    void reply.header('set-cookie', consoleCookie(req, SESSION_COOKIE, '', 0));
  }

  @Post('deconnexion-partout')
  @ConsoleAction('operator', 'fund')
  @Redirect('/console/connexion', 303)
  async signOutEverywhere(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.auth.signOutEverywhere({ ...actor, agentId: agent.agentId });
    void reply.header('set-cookie', consoleCookie(req, SESSION_COOKIE, '', 0));
  }

  @Get('mot-de-passe')
  @ConsolePage('operator', 'fund')
  passwordForm(@CurrentAgent() agent: ConsolePrincipal): SafeHtml {
    return passwordPage(agent);
  }

  @Post('mot-de-passe')
  @ConsoleAction('operator', 'fund')
  @FormFields('current', 'next')
  @Answers(ConsoleErrors.PASSWORD_WRONG, ConsoleErrors.PASSWORD_TOO_WEAK)
  async changePassword(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Body() form: Record<string, string>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SafeHtml | undefined> {
    try {
      await this.agents.changePassword(
        { ...actor, agentId: agent.agentId },
        agent.sessionId,
        field(form, 'current'),
        field(form, 'next'),
      );
    } catch (e) {
      // Shown in the form itself, so the agent can try again at once.
      if (!(e instanceof DomainError)) throw e;
      void reply.status(e.status);
      return passwordPage(agent, e.message);
    }
    void reply.redirect('/console', 303);
    return undefined;
  }
}
