import type { Activity } from 'botbuilder';
import {
  BotFrameworkAuthentication,
  ConnectorFactory,
  JwtTokenValidation,
  UserTokenClient,
  type AuthenticateRequestResult,
  type BotFrameworkClient,
  type ClaimsIdentity,
  type ConnectorClient,
  type TokenExchangeRequest,
} from 'botframework-connector';
import { withDirectReplies } from './directReplies';

/** Connector clients kept at most (one per bot identity, service URL and audience: a handful in practice). */
const KEPT = 64;

/**
 * One connector client per bot identity, channel service URL and audience, made once and used for every turn after,
 * instead of a client with a new HTTP pipeline for each turn (the SDK's ConnectorFactoryImpl; its older
 * BotFrameworkAdapter kept them the same way), its replies posted directly (directReplies.ts). Authentication stays
 * the SDK's: the client is the one its factory made, with its credentials, which fetch and renew their own tokens.
 */
export class ConnectorClients {
  private readonly clients = new Map<string, Promise<ConnectorClient>>();

  /** The request's authentication result, its connector factory answering from this cache. */
  reuseFor(authenticated: AuthenticateRequestResult): AuthenticateRequestResult {
    const made = authenticated.connectorFactory;
    if (!made) return authenticated;
    const identity = JwtTokenValidation.getAppIdFromClaims(authenticated.claimsIdentity?.claims ?? []) ?? '';
    return { ...authenticated, connectorFactory: new ReusingFactory(made, identity, this.clients) };
  }
}

class ReusingFactory extends ConnectorFactory {
  constructor(
    private readonly made: ConnectorFactory,
    private readonly identity: string,
    private readonly clients: Map<string, Promise<ConnectorClient>>,
  ) {
    super();
  }

  create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
    const key = `${this.identity}\n${serviceUrl}\n${audience ?? ''}`;
    const kept = this.clients.get(key);
    if (kept) return kept;
    const client = this.made.create(serviceUrl, audience).then((made) => withDirectReplies(made));
    // A client that could not be made (no credentials yet) is asked for again next time.
    client.catch(() => this.clients.delete(key));
    if (this.clients.size >= KEPT) this.clients.delete(this.clients.keys().next().value as string);
    this.clients.set(key, client);
    return client;
  }
}

/**
 * The SDK's authentication, except that the user-token client the adapter makes for every turn (for OAuth sign-in,
 * which this bot does not use) is only made when something asks it for a token: making it built an HTTP pipeline and
 * credentials per turn, a fortieth of a turn's CPU, for nothing.
 */
export class LazyUserTokens extends BotFrameworkAuthentication {
  constructor(private readonly auth: BotFrameworkAuthentication) {
    super();
  }

  authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    return this.auth.authenticateRequest(activity, authHeader);
  }

  authenticateStreamingRequest(authHeader: string, channelIdHeader: string): Promise<AuthenticateRequestResult> {
    return this.auth.authenticateStreamingRequest(authHeader, channelIdHeader);
  }

  createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.auth.createConnectorFactory(claimsIdentity);
  }

  async createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return new UserTokenClientWhenAsked(() => this.auth.createUserTokenClient(claimsIdentity));
  }

  createBotFrameworkClient(): BotFrameworkClient {
    return this.auth.createBotFrameworkClient();
  }

  getOriginatingAudience(): string {
    return this.auth.getOriginatingAudience();
  }

  authenticateChannelRequest(authHeader: string): Promise<ClaimsIdentity> {
    return this.auth.authenticateChannelRequest(authHeader);
  }
}

class UserTokenClientWhenAsked extends UserTokenClient {
  private made?: Promise<UserTokenClient>;

  constructor(private readonly make: () => Promise<UserTokenClient>) {
    super();
  }

  private client(): Promise<UserTokenClient> {
    this.made ??= this.make();
    return this.made;
  }

  async getUserToken(userId: string, connectionName: string, channelId: string, magicCode: string) {
    return (await this.client()).getUserToken(userId, connectionName, channelId, magicCode);
  }

  async getSignInResource(connectionName: string, activity: Activity, finalRedirect: string) {
    return (await this.client()).getSignInResource(connectionName, activity, finalRedirect);
  }

  async signOutUser(userId: string, connectionName: string, channelId: string) {
    return (await this.client()).signOutUser(userId, connectionName, channelId);
  }

  async getTokenStatus(userId: string, channelId: string, includeFilter: string) {
    return (await this.client()).getTokenStatus(userId, channelId, includeFilter);
  }

  async getAadTokens(userId: string, connectionName: string, resourceUrls: string[], channelId: string) {
    return (await this.client()).getAadTokens(userId, connectionName, resourceUrls, channelId);
  }

  async exchangeToken(userId: string, connectionName: string, channelId: string, exchangeRequest: TokenExchangeRequest) {
    return (await this.client()).exchangeToken(userId, connectionName, channelId, exchangeRequest);
  }
}
