import { Injectable, OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { ALLOWED_KINDS, CONSOLE_ROUTE, PUBLIC_ROUTE } from './auth.decorators.js';

/** Refuses to start if a route says neither who may call it (@Allow) nor that it is public (@Public). */
@Injectable()
export class RoutePolicyCheck implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const missing: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const cls = wrapper.metatype as Type | undefined;
      if (!cls) continue;
      for (const method of this.scanner.getAllMethodNames(cls.prototype)) {
        const handler = cls.prototype[method];
        if (this.reflector.get(PATH_METADATA, handler) === undefined) continue;
        const ok =
          this.reflector.getAllAndOverride(PUBLIC_ROUTE, [handler, cls]) ||
          this.reflector.getAllAndOverride(CONSOLE_ROUTE, [handler, cls]) ||
          (this.reflector.getAllAndOverride<unknown[]>(ALLOWED_KINDS, [handler, cls])?.length ?? 0) > 0;
        if (!ok) missing.push(`${cls.name}.${method}`);
      }
    }
    if (missing.length)
      throw new Error(
        `Routes without an access policy (@Allow, @Public or a console decorator): ${missing.join(', ')}`,
      );
  }
}
